-- params: cascade_run_id, now
-- Every change to a cascade run's state bumps its version, so a plan read before it is dropped.
UPDATE cascade_runs SET version = version + 1, updated_at = $now WHERE cascade_run_id = $cascade_run_id;
