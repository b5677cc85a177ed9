-- params: rows
-- One row per attempt of a run; an attempt's row is final once it completed.
INSERT INTO run_attempts (run_id, run_attempt, status, conclusion, created_at, run_started_at, updated_at)
SELECT r.run_id::BIGINT, r.run_attempt::INTEGER, r.status::VARCHAR, r.conclusion::VARCHAR,
       r.created_at::TIMESTAMPTZ, r.run_started_at::TIMESTAMPTZ, r.updated_at::TIMESTAMPTZ
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (run_id, run_attempt) DO UPDATE SET
    status = excluded.status,
    conclusion = excluded.conclusion,
    created_at = excluded.created_at,
    run_started_at = excluded.run_started_at,
    updated_at = excluded.updated_at;
