-- params: projects, before, now
-- Completed runs last updated before GitHub's artifact retention: every artifact of theirs has expired,
-- so they are marked without a request (one statement, however long the backlog).
INSERT INTO test_reports (run_id, artifact_id, run_attempt, artifact, status, reason, cases, parsed_at)
SELECT r.run_id, -r.run_attempt, r.run_attempt, NULL, 'expired',
       'older than GitHub keeps artifacts (90 days by default)', NULL, $now
FROM workflow_runs r
WHERE r.project IN (SELECT unnest($projects::VARCHAR[])) AND r.status = 'completed'
  AND coalesce(r.updated_at, r.created_at) < $before
  AND NOT EXISTS (SELECT 1 FROM test_reports t WHERE t.run_id = r.run_id AND t.run_attempt = r.run_attempt)
ON CONFLICT DO NOTHING;
