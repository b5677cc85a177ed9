-- params: cascade_run_id, now, version
-- Optimistic lock: apply a plan only if nobody else changed the cascade run since it was read.
UPDATE cascade_runs SET version = version + 1, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND version = $version
RETURNING version;
