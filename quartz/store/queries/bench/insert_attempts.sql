-- params: runs
-- Bulk history for `quartz bench`: the one attempt of each run in the frame named by $runs.
INSERT INTO run_attempts (run_id, run_attempt, status, conclusion, created_at, run_started_at, updated_at)
SELECT run_id, 1, 'completed', conclusion, to_timestamp(created_at), to_timestamp(run_started_at),
       to_timestamp(updated_at)
FROM query_table($runs);
