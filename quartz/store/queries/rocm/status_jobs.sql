-- params: run_ids
-- Jobs of the given runs in the order GitHub created them (job ids grow).
SELECT job_id, run_id, run_attempt, name, status, conclusion, started_at, completed_at
FROM jobs
WHERE list_contains($run_ids, run_id)
ORDER BY run_id, job_id;
