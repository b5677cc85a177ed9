-- params: run_ids
-- The stored (not plainly passing) cases of the given runs.
SELECT run_id, run_attempt, variant, suite, classname, name, outcome, reruns, message
FROM test_cases
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY run_id, run_attempt DESC, outcome, variant, suite, classname, name;
