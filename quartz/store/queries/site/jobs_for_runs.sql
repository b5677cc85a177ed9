-- params: run_ids
-- Every job of every attempt of the given runs; a job's page is always <run page>/job/<job id>.
-- Times come as the page shows them (ISO text, whole seconds), made here: DuckDB hands Python a zoned
-- datetime three times slower than text, and a build page render reads 60,000 jobs.
SELECT j.job_id, j.run_id, j.run_attempt, j.name, j.status, j.conclusion,
       strftime(j.started_at, '%Y-%m-%dT%H:%M:%SZ') AS started_at,
       strftime(j.completed_at, '%Y-%m-%dT%H:%M:%SZ') AS completed_at,
       -- whole seconds, never negative, NULL when a time is missing (greatest() would skip the NULL)
       CASE WHEN j.started_at < j.created_at THEN 0
            ELSE trunc(epoch(j.started_at - j.created_at))::BIGINT END AS queue_s,
       CASE WHEN j.completed_at < j.started_at THEN 0
            ELSE trunc(epoch(j.completed_at - j.started_at))::BIGINT END AS duration_s,
       j.runner_name, r.html_url || '/job/' || j.job_id AS html_url
FROM jobs j
JOIN workflow_runs r USING (run_id)
WHERE j.run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY j.run_id, j.run_attempt, j.created_at, j.job_id;
