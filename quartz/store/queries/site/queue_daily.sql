-- params: since
-- Per project and day since $since: how long jobs waited for a runner.
SELECT r.project, date_trunc('day', j.created_at) AS day,
       median(epoch(j.started_at - j.created_at)) AS median_queue_seconds,
       quantile_cont(epoch(j.started_at - j.created_at), 0.9) AS p90_queue_seconds,
       count(*) AS jobs
FROM jobs j
JOIN workflow_runs r ON r.run_id = j.run_id
WHERE j.created_at >= $since AND j.started_at IS NOT NULL AND r.project IS NOT NULL
GROUP BY ALL
ORDER BY r.project, day;
