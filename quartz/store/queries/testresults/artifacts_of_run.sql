-- params: run_id
SELECT artifact_id, name, expired, created_at
FROM artifacts
WHERE run_id = $run_id
ORDER BY artifact_id;
