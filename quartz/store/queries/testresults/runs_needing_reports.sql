-- params: projects, per_project
-- Completed runs whose current attempt's test reports are not read yet: per project the newest
-- $per_project, all of them newest first (today's red build is read before last month's).
SELECT r.run_id, r.project, r.run_attempt, r.created_at, r.artifacts_synced
FROM workflow_runs r
WHERE r.project IN (SELECT unnest($projects::VARCHAR[])) AND r.status = 'completed'
  AND NOT EXISTS (SELECT 1 FROM test_reports t WHERE t.run_id = r.run_id AND t.run_attempt = r.run_attempt)
QUALIFY row_number() OVER (PARTITION BY r.project ORDER BY r.created_at DESC, r.run_id DESC) <= $per_project
ORDER BY r.created_at DESC, r.run_id DESC;
