-- params: rows, run_id
-- The run's failing and rerun cases added to their tests' day on the run's branch.
INSERT INTO test_daily (project, branch, day, variant, suite, classname, name, failures, reruns)
SELECT w.project, coalesce(w.head_branch, ''), CAST(coalesce(a.run_started_at, a.created_at, w.created_at) AS DATE),
       c.variant, c.suite, c.classname, c.name,
       count(*) FILTER (WHERE c.outcome IN ('failed', 'error')), sum(c.reruns)
FROM (SELECT r.run_attempt::INTEGER AS run_attempt, r.variant::VARCHAR AS variant, r.suite::VARCHAR AS suite,
             r.classname::VARCHAR AS classname, r.name::VARCHAR AS name, r.outcome::VARCHAR AS outcome,
             r.reruns::INTEGER AS reruns
      FROM (SELECT unnest($rows) AS r)) c
JOIN workflow_runs w ON w.run_id = $run_id
LEFT JOIN run_attempts a ON a.run_id = $run_id AND a.run_attempt = c.run_attempt
WHERE w.project IS NOT NULL
GROUP BY ALL
ON CONFLICT (project, branch, day, variant, suite, classname, name) DO UPDATE SET
    failures = test_daily.failures + excluded.failures, reruns = test_daily.reruns + excluded.reruns;
