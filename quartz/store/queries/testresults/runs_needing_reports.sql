-- params: project, limit
-- Completed runs whose current attempt's test reports are not read yet, newest first.
SELECT r.run_id, r.run_attempt, r.created_at, r.updated_at, r.artifacts_synced
FROM workflow_runs r
WHERE r.project = $project AND r.status = 'completed'
  AND NOT EXISTS (SELECT 1 FROM test_reports t WHERE t.run_id = r.run_id AND t.run_attempt = r.run_attempt)
ORDER BY r.created_at DESC, r.run_id DESC
LIMIT $limit;
