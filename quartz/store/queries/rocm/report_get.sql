-- params: run_attempt, run_id, unit
-- The stored report for one call of one run attempt, to decide whether a new one changes anything.
SELECT status, digest, updated_at
FROM ingest_reports
WHERE run_id = $run_id AND run_attempt = $run_attempt AND unit = $unit;
