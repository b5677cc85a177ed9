-- params: (none)
-- Synced runs whose run name shows the correlation id of a probe still waiting for its run (the caller
-- checks the id is a whole token of the title).
SELECT p.correlation_id, r.run_id, r.repo, r.project, r.workflow_path, r.event, r.status, r.conclusion,
       r.run_attempt, r.head_sha, r.head_branch, r.run_number, r.html_url, r.display_title, r.created_at,
       r.run_started_at, r.updated_at
FROM culprit_probes p
JOIN workflow_runs r
  ON lower(r.repo) = lower(p.repo)
 AND r.created_at >= p.dispatched_at - INTERVAL 10 MINUTE
 AND contains(r.display_title, p.correlation_id)
WHERE p.status = 'dispatched' AND p.run_id IS NULL
ORDER BY r.created_at, r.run_id;
