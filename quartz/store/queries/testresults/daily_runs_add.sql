-- params: rows, run_id
-- One more run attempt for each variant the run's new reports carry, on the attempt's day and the run's branch.
INSERT INTO test_daily_runs (project, branch, day, variant, runs)
SELECT w.project, coalesce(w.head_branch, ''), CAST(coalesce(a.run_started_at, a.created_at, w.created_at) AS DATE),
       v.variant, count(*)
FROM (SELECT DISTINCT r.run_attempt::INTEGER AS run_attempt, r.variant::VARCHAR AS variant
      FROM (SELECT unnest($rows) AS r)) v
JOIN workflow_runs w ON w.run_id = $run_id
LEFT JOIN run_attempts a ON a.run_id = $run_id AND a.run_attempt = v.run_attempt
WHERE w.project IS NOT NULL
GROUP BY ALL
ON CONFLICT (project, branch, day, variant) DO UPDATE SET runs = test_daily_runs.runs + excluded.runs;
