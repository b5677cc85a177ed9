-- params: run_id
-- One synced run by id (e.g. --trigger-run of a manual start).
SELECT run_id, repo, project, workflow_path, event, status, conclusion, run_attempt, head_sha, head_branch,
       run_number, html_url, display_title, created_at, run_started_at, updated_at
FROM workflow_runs WHERE run_id = $run_id;
