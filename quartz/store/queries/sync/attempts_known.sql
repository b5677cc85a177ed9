-- params: run_ids
SELECT run_id, run_attempt
FROM run_attempts
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]));
