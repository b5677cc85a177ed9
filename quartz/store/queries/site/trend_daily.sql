-- params: since
-- Per project, branch and day since $since: completed runs, passes and run durations.
SELECT project, head_branch AS branch, date_trunc('day', created_at) AS day,
       count(*) AS runs,
       count(*) FILTER (WHERE conclusion = 'success') AS passed,
       count(*) FILTER (WHERE conclusion IN ('failure', 'timed_out', 'startup_failure')) AS failed,
       median(epoch(updated_at - run_started_at)) FILTER (WHERE conclusion = 'success') AS median_seconds
FROM workflow_runs
WHERE project IS NOT NULL AND status = 'completed' AND created_at >= $since
GROUP BY ALL
ORDER BY project, branch, day;
