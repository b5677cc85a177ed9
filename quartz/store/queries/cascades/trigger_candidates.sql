-- params: cascade, not_before, project, workflow
-- Completed runs of a trigger workflow recent enough to start a cascade run,
-- with whether each cascade already has a run for it.
SELECT r.run_id, r.repo, r.project, r.workflow_path, r.event, r.status, r.conclusion, r.run_attempt,
       r.head_sha, r.head_branch, r.run_number, r.html_url, r.display_title, r.created_at,
       r.run_started_at, r.updated_at
FROM workflow_runs r
WHERE r.project = $project AND r.workflow_path = $workflow AND r.status = 'completed'
  AND r.updated_at >= $not_before
  AND NOT EXISTS (SELECT 1 FROM cascade_runs c WHERE c.cascade = $cascade AND c.trigger_run_id = r.run_id)
ORDER BY r.updated_at, r.run_id;
