-- params: captured_outputs, conclusion, created_at, digest, event_type, inputs, jobs, now, parent_run_id, release_type, repo, run_attempt, run_id, run_started_at, status, unit, updated_at, workflow_path
-- Log one release report as it arrived.
INSERT INTO ingest_report_log
SELECT coalesce((SELECT max(seq) FROM ingest_report_log), 0) + 1, $run_id, $run_attempt, $unit, $digest, $repo,
       $event_type, $workflow_path, $status, $conclusion, $created_at, $updated_at, $run_started_at, $release_type,
       $inputs::JSON, $captured_outputs::JSON, $parent_run_id, $jobs::JSON, $now;
