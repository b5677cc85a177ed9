-- params: (none)
-- Synced runs whose run name shows the correlation id of a stage still waiting
-- for its run (the caller checks the id is a whole token of the title).
SELECT s.correlation_id, r.run_id, r.repo, r.project, r.workflow_path, r.event, r.status, r.conclusion,
       r.run_attempt, r.head_sha, r.head_branch, r.run_number, r.html_url, r.display_title, r.created_at,
       r.run_started_at, r.updated_at
FROM cascade_stages s
JOIN workflow_runs r
  ON lower(r.repo) = lower(s.repo)
 AND r.created_at >= s.dispatched_at - INTERVAL 10 MINUTE
 AND contains(r.display_title, s.correlation_id)
WHERE s.status = 'dispatched' AND s.run_id IS NULL
ORDER BY r.created_at, r.run_id;
