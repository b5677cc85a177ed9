-- params: since, limit
-- Tests that failed or reran since a day, busiest first: the ones whose history is judged.
SELECT project, variant, suite, classname, name, sum(failures) AS failures, sum(reruns) AS reruns,
       max(day) AS last_day
FROM test_daily
WHERE day >= $since
GROUP BY ALL
ORDER BY sum(failures) + sum(reruns) DESC, project, variant, suite, classname, name
LIMIT $limit;
