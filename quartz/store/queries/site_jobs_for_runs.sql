-- Every job of every attempt of the given runs.
SELECT job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at, completed_at,
       runner_name, html_url
FROM jobs
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY run_id, run_attempt, created_at, job_id;
