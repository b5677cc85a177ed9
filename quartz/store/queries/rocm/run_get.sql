-- params: run_id
-- What the store already holds about a reported run.
SELECT source, run_attempt, status, inputs
FROM workflow_runs
WHERE run_id = $run_id;
