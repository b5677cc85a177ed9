-- params: digest, now, run_attempt, run_id, unit
-- The same report sent again: logged again at the end of the arrival order, with the jobs it had the first time.
INSERT INTO ingest_report_log
SELECT (SELECT max(seq) FROM ingest_report_log) + 1, run_id, run_attempt, unit, digest, repo, event_type,
       workflow_path, status, conclusion, created_at, updated_at, run_started_at, release_type, inputs,
       captured_outputs, parent_run_id, jobs, $now
FROM ingest_report_log
WHERE run_id = $run_id AND run_attempt = $run_attempt AND unit = $unit AND digest = $digest
QUALIFY row_number() OVER (ORDER BY seq DESC) = 1;
