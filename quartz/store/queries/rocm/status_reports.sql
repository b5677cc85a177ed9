-- params: repos, since
-- Release reports (nightly and prerelease) from the repositories whose runs make status.json,
-- created since $since, oldest report first (the order documents take shape in).
SELECT run_id, run_attempt, unit, repo, event_type, workflow_path, status, conclusion, created_at, updated_at,
       run_started_at, release_type, inputs, captured_outputs, parent_run_id, first_received_at, received_at
FROM ingest_reports
WHERE release_type IN ('nightly', 'prerelease')
  AND list_contains($repos, lower(repo))
  AND created_at >= $since
ORDER BY first_received_at, run_id, run_attempt, unit;
