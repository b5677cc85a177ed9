-- params: jobs
-- Bulk history for `quartz bench`: jobs of first attempts, as sync/upsert_jobs stores them.
INSERT INTO jobs (job_id, run_id, run_attempt, name, status, conclusion, created_at, started_at, completed_at,
                  runner_name, labels)
SELECT job_id, run_id, 1, name, 'completed', conclusion, to_timestamp(created_at), to_timestamp(started_at),
       to_timestamp(completed_at), runner_name, labels::JSON
FROM query_table($jobs);
