-- params: since
SELECT s.*
FROM cascade_stages s JOIN cascade_runs c USING (cascade_run_id)
WHERE c.status = 'running' OR c.finished_at >= $since
ORDER BY s.cascade_run_id, s.stage;
