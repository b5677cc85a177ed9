-- params: cascade_run_id, now, reason, run_attempt, stage, status
-- success | failure | cancelled | timed_out | skipped, with the run attempt the result came from.
UPDATE cascade_stages
SET status = $status, reason = $reason, run_attempt = coalesce($run_attempt, run_attempt),
    finished_at = $now, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
