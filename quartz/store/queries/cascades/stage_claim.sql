-- params: attempt, cascade_run_id, correlation_id, now, previous_attempt, reason, repo, signal, signal_at, stage
-- Compare-and-set before a dispatch: only one advance moves a pending stage to this attempt.
UPDATE cascade_stages
SET status = 'dispatched', attempt = $attempt, correlation_id = $correlation_id, repo = $repo,
    dispatched_at = $now, started_at = NULL, finished_at = NULL, run_id = NULL, run_url = NULL,
    run_attempt = NULL, reason = $reason, updated_at = $now, signal_at = $signal_at, signal = $signal
WHERE cascade_run_id = $cascade_run_id AND stage = $stage AND status = 'pending' AND attempt = $previous_attempt
  AND EXISTS (SELECT 1 FROM cascade_runs c WHERE c.cascade_run_id = $cascade_run_id AND c.status = 'running')
RETURNING stage;
