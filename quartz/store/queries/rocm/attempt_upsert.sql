-- params: conclusion, created_at, run_attempt, run_id, run_started_at, status, updated_at
-- One attempt of a reported run (the caller has ruled out regressions).
INSERT INTO run_attempts (run_id, run_attempt, status, conclusion, created_at, run_started_at, updated_at)
VALUES ($run_id, $run_attempt, $status, $conclusion, $created_at, $run_started_at, $updated_at)
ON CONFLICT (run_id, run_attempt) DO UPDATE SET
    status = excluded.status, conclusion = excluded.conclusion, created_at = excluded.created_at,
    run_started_at = excluded.run_started_at, updated_at = excluded.updated_at;
