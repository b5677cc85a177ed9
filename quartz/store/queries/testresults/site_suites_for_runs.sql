-- params: run_ids
-- Suite counts of the given runs, per attempt, variant and suite (a report may repeat a suite name).
SELECT run_id, run_attempt, variant, suite, sum(passed) AS passed, sum(failed) AS failed,
       sum(skipped) AS skipped, sum(errors) AS errors, sum(time_s) AS time_s
FROM test_suites
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]))
GROUP BY ALL
ORDER BY run_id, run_attempt DESC, variant, suite;
