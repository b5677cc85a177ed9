-- params: cascade_run_id, now, reason, stage, status
UPDATE cascade_stages SET status = $status, reason = $reason, finished_at = NULL, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
