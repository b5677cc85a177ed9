-- params: run_id
SELECT artifact_id, run_attempt, artifact, status, reason, cases, parsed_at
FROM test_reports
WHERE run_id = $run_id
ORDER BY artifact_id;
