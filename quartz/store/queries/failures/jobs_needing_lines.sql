-- params: max_jobs
-- Failed jobs of completed runs whose failure line is not stored yet, newest first: each cycle takes
-- $max_jobs of them, so a backfill proceeds over cycles while new failures come first.
SELECT j.job_id, j.run_id, r.repo
FROM jobs j
JOIN workflow_runs r USING (run_id)
WHERE j.conclusion IN ('failure', 'timed_out')
  AND r.status = 'completed'
  AND r.project IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM failure_lines f WHERE f.job_id = j.job_id)
ORDER BY coalesce(j.completed_at, r.updated_at) DESC, j.job_id DESC
LIMIT $max_jobs;
