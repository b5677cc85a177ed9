-- params: ids
-- Every probe of the given cascade runs, in order.
SELECT correlation_id, cascade_run_id, stage, seq, put_back, status, reason, repo, kind, target, ref, payload,
       dispatched_at, sent_at, outcome, response_status, error, run_id, run_url, started_at, finished_at,
       updated_at
FROM culprit_probes
WHERE cascade_run_id IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY cascade_run_id, stage, seq;
