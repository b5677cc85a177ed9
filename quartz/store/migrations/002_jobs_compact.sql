-- Jobs are most of the store (5.5M rows at fleet scale, and the file travels to
-- S3 every cycle). Drop the primary-key index (~145 MB there; upserts use MERGE
-- instead) and html_url (~87 MB; it is always <run html_url>/job/<job_id>).
CREATE TABLE jobs_compact AS
SELECT job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at, completed_at,
       runner_name, labels
FROM jobs
ORDER BY run_id, job_id;
DROP TABLE jobs;
ALTER TABLE jobs_compact RENAME TO jobs;
