-- params: repo, workflow_path
-- The newest run creation time stored for a workflow: the next sync's watermark.
SELECT max(created_at) AS newest
FROM workflow_runs
WHERE repo = $repo AND workflow_path = $workflow_path;
