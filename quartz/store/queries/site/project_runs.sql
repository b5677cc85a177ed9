-- params: first_run, last_run, project
-- Runs of one project with run ids in [$first_run, $last_run], newest first (one page of builds.json).
SELECT run_id, workflow_path, name, display_title, event, head_branch, head_sha, run_number, run_attempt,
       status, conclusion, actor, created_at, run_started_at, updated_at, html_url, fetched_at
FROM workflow_runs
WHERE project = $project AND run_id BETWEEN $first_run AND $last_run
ORDER BY run_id DESC;
