-- params: run_ids
-- The stored failure lines of the given runs' jobs (every attempt), with the job they belong to.
SELECT f.job_id, f.run_id, j.run_attempt, j.name AS job_name, f.status, f.line, f.line_number, f.context,
       f.rule, f.key, f.key_id, r.html_url || '/job/' || f.job_id AS job_html_url
FROM failure_lines f
JOIN jobs j ON j.job_id = f.job_id AND j.run_id = f.run_id  -- the run too: files of other runs are skipped
JOIN workflow_runs r ON r.run_id = f.run_id
WHERE f.run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY f.run_id, j.run_attempt DESC, j.completed_at NULLS LAST, f.job_id;
