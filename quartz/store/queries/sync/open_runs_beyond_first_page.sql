-- params: depth, repo, workflow_path
-- Runs not yet completed that the newest-first listing's first page no longer
-- shows: they are polled one by one. $depth is a little under the page size.
SELECT run_id
FROM (
    SELECT run_id, status,
           row_number() OVER (ORDER BY created_at DESC, run_id DESC) AS position
    FROM workflow_runs
    WHERE repo = $repo AND workflow_path = $workflow_path
)
WHERE position > $depth AND status IS DISTINCT FROM 'completed'
ORDER BY run_id;
