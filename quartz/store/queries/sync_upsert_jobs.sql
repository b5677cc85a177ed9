-- Jobs of completed attempts (every attempt keeps its own job ids).
INSERT INTO jobs (job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at, completed_at,
                  runner_name, labels, html_url)
SELECT r.job_id::BIGINT, r.run_id::BIGINT, r.run_attempt::INTEGER, r.name::VARCHAR, r.status::VARCHAR,
       r.conclusion::VARCHAR, r.created_at::TIMESTAMPTZ, r.started_at::TIMESTAMPTZ, r.completed_at::TIMESTAMPTZ,
       r.runner_name::VARCHAR, r.labels::JSON, r.html_url::VARCHAR
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (job_id) DO UPDATE SET
    run_attempt = excluded.run_attempt,
    name = excluded.name,
    status = excluded.status,
    conclusion = excluded.conclusion,
    created_at = excluded.created_at,
    started_at = excluded.started_at,
    completed_at = excluded.completed_at,
    runner_name = excluded.runner_name,
    labels = excluded.labels,
    html_url = excluded.html_url;
