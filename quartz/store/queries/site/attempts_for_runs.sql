-- params: run_ids
-- Every recorded attempt of the given runs.
SELECT run_id, run_attempt, status, conclusion, created_at, run_started_at, updated_at
FROM run_attempts
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY run_id, run_attempt;
