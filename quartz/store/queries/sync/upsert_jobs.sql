-- params: rows
-- Jobs of completed attempts (every attempt keeps its own job ids).
MERGE INTO jobs USING (
    SELECT r.job_id::BIGINT AS job_id, r.run_id::BIGINT AS run_id, r.run_attempt::INTEGER AS run_attempt,
           r.name::VARCHAR AS name, r.status::VARCHAR AS status, r.conclusion::VARCHAR AS conclusion,
           r.created_at::TIMESTAMPTZ AS created_at, r.started_at::TIMESTAMPTZ AS started_at,
           r.completed_at::TIMESTAMPTZ AS completed_at, r.runner_name::VARCHAR AS runner_name,
           r.labels::JSON AS labels
    FROM (SELECT unnest($rows) AS r)
) AS src ON jobs.job_id = src.job_id
WHEN MATCHED THEN UPDATE SET
    run_attempt = src.run_attempt,
    name = src.name,
    status = src.status,
    conclusion = src.conclusion,
    created_at = src.created_at,
    started_at = src.started_at,
    completed_at = src.completed_at,
    runner_name = src.runner_name,
    labels = src.labels
WHEN NOT MATCHED THEN INSERT (job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at,
                              completed_at, runner_name, labels)
    VALUES (src.job_id, src.run_id, src.run_attempt, src.name, src.status, src.conclusion, src.created_at,
            src.started_at, src.completed_at, src.runner_name, src.labels);
