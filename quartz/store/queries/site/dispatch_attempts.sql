-- params: ids
-- Every dispatch attempt of the given cascade runs' stages.
SELECT cascade_run_id, stage, attempt, correlation_id, kind, target, ref, created_at, sent_at, outcome,
       response_status, run_id, error
FROM dispatch_intents
WHERE cascade_run_id IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY cascade_run_id, stage, attempt;
