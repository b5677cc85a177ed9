-- params: keys, since
-- Every run attempt since a time whose reports carried one of these tests' suites, with the test's outcome
-- there: a stored case, or else a plain pass (passes are not stored one by one).
WITH wanted AS (
    SELECT k.project::VARCHAR AS project, k.variant::VARCHAR AS variant, k.suite::VARCHAR AS suite,
           k.classname::VARCHAR AS classname, k.name::VARCHAR AS name
    FROM (SELECT unnest($keys) AS k)
), carried AS (
    SELECT DISTINCT s.run_id, s.run_attempt, s.variant, s.suite
    FROM test_suites s
    WHERE s.variant IN (SELECT variant FROM wanted)
)
SELECT t.project, t.variant, t.suite, t.classname, t.name, c.run_id, c.run_attempt,
       coalesce(w.head_sha, '') AS head_sha, coalesce(w.head_branch, '') AS branch,
       coalesce(a.run_started_at, a.created_at, w.created_at) AS seen_at,
       coalesce(k.outcome, 'passed') AS outcome, coalesce(k.reruns, 0) AS reruns
FROM carried c
JOIN wanted t ON t.variant = c.variant AND t.suite = c.suite
JOIN workflow_runs w ON w.run_id = c.run_id AND w.project = t.project
LEFT JOIN run_attempts a ON a.run_id = c.run_id AND a.run_attempt = c.run_attempt
LEFT JOIN test_cases k ON k.run_id = c.run_id AND k.run_attempt = c.run_attempt AND k.variant = c.variant
     AND k.suite = c.suite AND k.classname = t.classname AND k.name = t.name
WHERE coalesce(a.run_started_at, a.created_at, w.created_at) >= $since
ORDER BY seen_at, c.run_id, c.run_attempt;
