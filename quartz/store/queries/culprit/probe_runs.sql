-- params: ids
-- Synced runs by id (a probe's run once it is known).
SELECT run_id, repo, project, workflow_path, event, status, conclusion, run_attempt, head_sha, head_branch,
       run_number, html_url, display_title, created_at, run_started_at, updated_at
FROM workflow_runs
WHERE run_id IN (SELECT unnest($ids::BIGINT[]));
