-- params: repo, workflow_path
-- Runs of one workflow not completed yet, with their latest attempt: the runs whose jobs a job-level trigger
-- watches while they are still going (quartz/sync/jobwatch.py).
SELECT run_id, run_attempt
FROM workflow_runs
WHERE repo = $repo AND workflow_path = $workflow_path AND status IS DISTINCT FROM 'completed'
ORDER BY run_id;
