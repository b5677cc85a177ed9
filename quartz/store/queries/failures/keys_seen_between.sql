-- params: key_ids, lo, hi
-- Which of the given keys failed some job that finished in [$lo, $hi): a key seen there is not new.
-- (The bare test on j.completed_at lets the Parquet reader skip history files by their statistics.)
SELECT DISTINCT f.key_id
FROM failure_lines f
JOIN jobs j USING (job_id)
JOIN workflow_runs r ON r.run_id = f.run_id
WHERE f.status = 'found' AND f.key_id IN (SELECT unnest($key_ids::VARCHAR[]))
  AND coalesce(j.completed_at, r.updated_at) >= $lo AND coalesce(j.completed_at, r.updated_at) < $hi
  AND (j.completed_at >= $lo OR j.completed_at IS NULL);
