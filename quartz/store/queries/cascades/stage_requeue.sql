-- params: cascade_run_id, now, reason, stage
-- Back to pending (a dispatch GitHub refused for rate limiting, or `quartz retry`); the attempt
-- number is kept, so the next dispatch gets a new correlation id.
UPDATE cascade_stages
SET status = 'pending', reason = $reason, correlation_id = NULL, run_id = NULL, run_url = NULL,
    run_attempt = NULL, dispatched_at = NULL, started_at = NULL, finished_at = NULL, updated_at = $now
WHERE cascade_run_id = $cascade_run_id AND stage = $stage;
