-- params: (none)
SELECT status, count(*) AS count FROM cascade_runs GROUP BY status ORDER BY status;
