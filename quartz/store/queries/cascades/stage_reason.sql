-- params: cascade_run_id, now, reason, stage
UPDATE cascade_stages SET reason = $reason, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
