-- params: cascade_run_id, now, reason, stage, started_at
UPDATE cascade_stages SET status = 'running', started_at = $started_at, reason = $reason, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
