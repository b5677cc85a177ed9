-- params: run_ids
-- What the store already holds for these runs, to skip the unchanged ones.
SELECT run_id, run_attempt, status, conclusion, updated_at, created_at, run_started_at,
       jobs_synced_attempt, artifacts_synced
FROM workflow_runs
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]));
