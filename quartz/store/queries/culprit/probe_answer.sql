-- params: correlation_id, error, now, outcome, reason, response_status, run_id, run_url, status
-- What GitHub answered the probe's one POST.
UPDATE culprit_probes
SET sent_at = $now, outcome = $outcome, response_status = $response_status, error = $error,
    run_id = coalesce($run_id, run_id), run_url = coalesce($run_url, run_url), status = $status,
    reason = $reason, finished_at = CASE WHEN $status = 'refused' THEN $now END, updated_at = $now
WHERE correlation_id = $correlation_id;
