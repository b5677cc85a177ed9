-- params: rows
INSERT INTO test_reports (run_id, artifact_id, run_attempt, artifact, status, reason, cases, parsed_at)
SELECT r.run_id::BIGINT, r.artifact_id::BIGINT, r.run_attempt::INTEGER, r.artifact::VARCHAR, r.status::VARCHAR,
       r.reason::VARCHAR, r.cases::INTEGER, r.parsed_at::TIMESTAMPTZ
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (run_id, artifact_id) DO UPDATE SET
    run_attempt = excluded.run_attempt, status = excluded.status, reason = excluded.reason,
    cases = excluded.cases, parsed_at = excluded.parsed_at;
