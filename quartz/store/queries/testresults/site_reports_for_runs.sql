-- params: run_ids
-- Report artifacts of the given runs that were not read cleanly (refused, expired, or with refused files).
SELECT run_id, artifact_id, artifact, status, reason
FROM test_reports
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[])) AND status IN ('refused', 'expired')
   OR (run_id IN (SELECT unnest($run_ids::BIGINT[])) AND status = 'parsed' AND reason IS NOT NULL)
ORDER BY run_id, artifact_id;
