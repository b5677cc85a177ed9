-- params: cascade_run_id, stage, state
UPDATE cascade_stages SET reported_state = $state
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
