-- params: correlation_id, now, reason, run_id, run_url, started_at, status
-- A probe after looking at its run: linked, running, finished or timed out.
UPDATE culprit_probes
SET status = $status, reason = $reason, run_id = $run_id, run_url = $run_url, started_at = $started_at,
    finished_at = CASE WHEN $status NOT IN ('dispatched', 'running') THEN $now END, updated_at = $now
WHERE correlation_id = $correlation_id AND status IN ('dispatched', 'running');
