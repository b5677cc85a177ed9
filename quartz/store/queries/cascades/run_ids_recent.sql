-- params: (none)
SELECT cascade_run_id FROM cascade_runs ORDER BY created_at DESC LIMIT 200;
