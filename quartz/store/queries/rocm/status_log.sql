-- params: repos, since
-- Release reports (nightly and prerelease) from the repositories whose runs make status.json, created since
-- $since, each as it arrived with the jobs it carried, in arrival order (the order ROCm/Quartz folds them in).
SELECT seq, run_id, run_attempt, unit, repo, event_type, workflow_path, status, conclusion, created_at, updated_at,
       run_started_at, release_type, inputs, captured_outputs, parent_run_id, jobs,
       received_at AS first_received_at, received_at
FROM ingest_report_log
WHERE release_type IN ('nightly', 'prerelease')
  AND list_contains($repos, lower(repo))
  AND created_at >= $since
ORDER BY seq;
