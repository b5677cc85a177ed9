-- params: cascade_run_id, now, reason, status
UPDATE cascade_runs SET status = $status, reason = $reason, finished_at = $now, updated_at = $now
WHERE cascade_run_id = $cascade_run_id;
