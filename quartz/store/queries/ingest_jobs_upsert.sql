-- Jobs of a reported run. A job already completed is never taken back to running
-- by an older snapshot that arrives late.
INSERT INTO jobs (job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at, completed_at,
                  runner_name, labels, html_url)
SELECT r.job_id::BIGINT, r.run_id::BIGINT, r.run_attempt::INTEGER, r.name::VARCHAR, r.status::VARCHAR,
       r.conclusion::VARCHAR, r.created_at::TIMESTAMPTZ, r.started_at::TIMESTAMPTZ, r.completed_at::TIMESTAMPTZ,
       r.runner_name::VARCHAR, r.labels::JSON, r.html_url::VARCHAR
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (job_id) DO UPDATE SET
    name = excluded.name,
    status = CASE WHEN jobs.status = 'completed' THEN jobs.status ELSE excluded.status END,
    conclusion = CASE WHEN jobs.status = 'completed' THEN jobs.conclusion ELSE excluded.conclusion END,
    created_at = COALESCE(excluded.created_at, jobs.created_at),
    started_at = COALESCE(excluded.started_at, jobs.started_at),
    completed_at = CASE WHEN jobs.status = 'completed' THEN jobs.completed_at ELSE excluded.completed_at END,
    runner_name = COALESCE(excluded.runner_name, jobs.runner_name),
    labels = COALESCE(excluded.labels, jobs.labels),
    html_url = COALESCE(excluded.html_url, jobs.html_url);
