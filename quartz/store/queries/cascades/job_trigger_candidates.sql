-- params: cascade, not_before, project, workflow
-- Runs of a job-level trigger's workflow, open or recently completed, that the cascade has no run for yet,
-- each with the jobs of its latest attempt (quartz/cascades/jobtriggers.py decides which are ready).
SELECT r.run_id, r.repo, r.project, r.workflow_path, r.event, r.status, r.conclusion, r.run_attempt,
       r.head_sha, r.head_branch, r.run_number, r.html_url, r.display_title, r.created_at,
       r.run_started_at, r.updated_at,
       list({'name': j.name, 'status': j.status, 'conclusion': j.conclusion, 'completed_at': j.completed_at})
           FILTER (WHERE j.job_id IS NOT NULL) AS jobs
FROM workflow_runs r
LEFT JOIN jobs j ON j.run_id = r.run_id AND j.run_attempt = r.run_attempt
WHERE r.project = $project AND r.workflow_path = $workflow
  AND (r.status IS DISTINCT FROM 'completed' OR r.updated_at >= $not_before)
  AND NOT EXISTS (SELECT 1 FROM cascade_runs c WHERE c.cascade = $cascade AND c.trigger_run_id = r.run_id)
GROUP BY ALL
ORDER BY r.updated_at, r.run_id;
