-- params: run_ids
-- Artifacts of the given runs.
SELECT artifact_id, run_id, name, size_in_bytes, expired, created_at, expires_at
FROM artifacts
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY run_id, name, artifact_id;
