-- params: run_ids
-- The trigger runs of the given cascade runs, for lead times and version sets.
SELECT run_id, project, repo, head_sha, head_branch, html_url, conclusion, run_number, created_at, updated_at
FROM workflow_runs
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]));
