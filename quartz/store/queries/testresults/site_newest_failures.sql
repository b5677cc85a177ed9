-- params: since, limit
-- The newest failed test cases across the fleet.
SELECT w.project, c.run_id, c.run_attempt, c.variant, c.suite, c.classname, c.name, c.outcome, c.message,
       coalesce(w.head_branch, '') AS branch, coalesce(w.head_sha, '') AS head_sha,
       coalesce(a.run_started_at, a.created_at, w.created_at) AS seen_at
FROM test_cases c
JOIN workflow_runs w ON w.run_id = c.run_id
LEFT JOIN run_attempts a ON a.run_id = c.run_id AND a.run_attempt = c.run_attempt
WHERE c.outcome IN ('failed', 'error') AND w.project IS NOT NULL
  AND coalesce(a.run_started_at, a.created_at, w.created_at) >= $since
ORDER BY seen_at DESC, c.run_id DESC, c.variant, c.suite, c.classname, c.name
LIMIT $limit;
