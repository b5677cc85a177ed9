-- Every run of one project, newest first (builds.json and its older pages).
SELECT run_id, workflow_path, name, display_title, event, head_branch, head_sha, run_number, run_attempt,
       status, conclusion, actor, created_at, run_started_at, updated_at, html_url, fetched_at
FROM workflow_runs
WHERE project = $project
ORDER BY run_id DESC;
