-- params: run_ids
-- Every job of every attempt of the given runs; a job's page is always <run page>/job/<job id>.
SELECT j.job_id, j.run_id, j.run_attempt, j.name, j.status, j.conclusion, j.created_at, j.started_at,
       j.completed_at, j.runner_name, r.html_url || '/job/' || j.job_id AS html_url
FROM jobs j
JOIN workflow_runs r USING (run_id)
WHERE j.run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY j.run_id, j.run_attempt, j.created_at, j.job_id;
