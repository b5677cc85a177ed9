-- params: run_attempt, run_id
-- The jobs of one attempt of a run, for a stage that hands off when some of them succeeded.
SELECT name, status, conclusion, completed_at
FROM jobs
WHERE run_id = $run_id AND run_attempt = $run_attempt
ORDER BY job_id;
