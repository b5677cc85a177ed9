-- params: rows
INSERT INTO test_suites (run_id, run_attempt, artifact, variant, source, suite, passed, failed, skipped, errors,
                         time_s)
SELECT r.run_id::BIGINT, r.run_attempt::INTEGER, r.artifact::VARCHAR, r.variant::VARCHAR, r.source::VARCHAR,
       r.suite::VARCHAR, r.passed::INTEGER, r.failed::INTEGER, r.skipped::INTEGER, r.errors::INTEGER,
       r.time_s::DOUBLE
FROM (SELECT unnest($rows) AS r);
