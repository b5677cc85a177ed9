-- params: (none)
-- The newest cascade run and its status.
SELECT cascade_run_id, status FROM cascade_runs ORDER BY created_at DESC LIMIT 1;
