-- params: cascade_run_id, now, reason
UPDATE cascade_runs SET status = 'running', reason = $reason, finished_at = NULL, updated_at = $now
WHERE cascade_run_id = $cascade_run_id;
