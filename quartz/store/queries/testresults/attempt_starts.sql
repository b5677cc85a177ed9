-- params: run_id
SELECT run_attempt, coalesce(run_started_at, created_at) AS started
FROM run_attempts
WHERE run_id = $run_id
ORDER BY run_attempt;
