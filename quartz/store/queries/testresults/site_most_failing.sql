-- params: project, since, limit
-- A project's tests that failed most since a day, with the runs that carried them and their reruns.
WITH tests AS (
    SELECT project, branch, variant, suite, classname, name, sum(failures) AS failures, sum(reruns) AS reruns,
           max(day) FILTER (WHERE failures > 0) AS last_failed
    FROM test_daily
    WHERE project = $project AND day >= $since
    GROUP BY ALL
), runs AS (
    SELECT branch, variant, sum(runs) AS runs
    FROM test_daily_runs
    WHERE project = $project AND day >= $since
    GROUP BY ALL
)
SELECT t.variant, t.suite, t.classname, t.name, sum(t.failures) AS failures, sum(t.reruns) AS reruns,
       sum(r.runs) AS runs, max(t.last_failed) AS last_failed, list(DISTINCT t.branch ORDER BY t.branch) AS branches
FROM tests t
LEFT JOIN runs r ON r.branch = t.branch AND r.variant = t.variant
GROUP BY ALL
HAVING sum(t.failures) > 0
ORDER BY failures DESC, reruns DESC, t.variant, t.suite, t.classname, t.name
LIMIT $limit;
