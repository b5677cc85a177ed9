-- params: cascade_run_id, now, run_id, run_url, stage
UPDATE cascade_stages SET run_id = $run_id, run_url = $run_url, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
