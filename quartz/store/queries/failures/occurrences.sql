-- params: since
-- Every stored failure line of a job that finished at or after $since, with where it happened.
-- The bare test on j.completed_at says the same as the coalesce; it is there because the Parquet reader
-- can skip every history file that ended before $since by its statistics (the coalesce it cannot).
SELECT f.key, f.key_id, f.rule, f.line, f.job_id, f.run_id, j.name AS job_name, r.project, r.repo,
       r.head_branch, r.workflow_path, r.html_url || '/job/' || f.job_id AS job_html_url,
       coalesce(j.completed_at, r.updated_at) AS seen_at
FROM failure_lines f
JOIN jobs j USING (job_id)
JOIN workflow_runs r ON r.run_id = f.run_id
WHERE f.status = 'found' AND r.project IS NOT NULL AND coalesce(j.completed_at, r.updated_at) >= $since
  AND (j.completed_at >= $since OR j.completed_at IS NULL)
ORDER BY seen_at, f.job_id;
