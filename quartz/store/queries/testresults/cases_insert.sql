-- params: rows
INSERT INTO test_cases (run_id, run_attempt, variant, suite, classname, name, outcome, reruns, message)
SELECT r.run_id::BIGINT, r.run_attempt::INTEGER, r.variant::VARCHAR, r.suite::VARCHAR, r.classname::VARCHAR,
       r.name::VARCHAR, r.outcome::VARCHAR, r.reruns::INTEGER, r.message::VARCHAR
FROM (SELECT unnest($rows) AS r);
