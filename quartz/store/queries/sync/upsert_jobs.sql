-- params: rows
-- Jobs from sync (completed attempts) and from TheRock's reports (snapshots of running runs): a job
-- already completed is never taken back to running by an older snapshot that arrives late.
MERGE INTO jobs USING (
    SELECT r.job_id::BIGINT AS job_id, r.run_id::BIGINT AS run_id, r.run_attempt::INTEGER AS run_attempt,
           r.name::VARCHAR AS name, r.status::VARCHAR AS status, r.conclusion::VARCHAR AS conclusion,
           r.created_at::TIMESTAMPTZ AS created_at, r.started_at::TIMESTAMPTZ AS started_at,
           r.completed_at::TIMESTAMPTZ AS completed_at, r.runner_name::VARCHAR AS runner_name,
           r.labels::JSON AS labels
    FROM (SELECT unnest($rows) AS r)
) AS src ON jobs.job_id = src.job_id
WHEN MATCHED THEN UPDATE SET
    name = src.name,
    status = CASE WHEN jobs.status = 'completed' THEN jobs.status ELSE src.status END,
    conclusion = CASE WHEN jobs.status = 'completed' THEN jobs.conclusion ELSE src.conclusion END,
    created_at = COALESCE(src.created_at, jobs.created_at),
    started_at = COALESCE(src.started_at, jobs.started_at),
    completed_at = CASE WHEN jobs.status = 'completed' THEN jobs.completed_at ELSE src.completed_at END,
    runner_name = COALESCE(src.runner_name, jobs.runner_name),
    labels = COALESCE(src.labels, jobs.labels)
WHEN NOT MATCHED THEN INSERT (job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at,
                              completed_at, runner_name, labels)
    VALUES (src.job_id, src.run_id, src.run_attempt, src.name, src.status, src.conclusion, src.created_at,
            src.started_at, src.completed_at, src.runner_name, src.labels);
