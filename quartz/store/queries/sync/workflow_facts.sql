-- params: depth
-- Per workflow, what its sync asks when its first page answered 304 (quartz/sync/bookkeeping.py):
-- the newest run's creation time (the watermark), runs not yet completed deeper than $depth in the
-- newest-first listing (polled one by one), and completed runs a cascade points at, as trigger or
-- stage run, whose artifacts are not stored yet.
WITH wanted AS (
    SELECT run_id FROM cascade_stages WHERE run_id IS NOT NULL
    UNION
    SELECT trigger_run_id FROM cascade_runs WHERE trigger_run_id IS NOT NULL
), ranked AS (
    SELECT repo, workflow_path, run_id, status, created_at, artifacts_synced,
           row_number() OVER (PARTITION BY repo, workflow_path ORDER BY created_at DESC, run_id DESC) AS position
    FROM workflow_runs
)
SELECT repo, workflow_path, max(created_at) AS newest,
       list(run_id ORDER BY run_id) FILTER (WHERE position > $depth AND status IS DISTINCT FROM 'completed')
           AS open_beyond_first_page,
       list(run_id ORDER BY run_id) FILTER (WHERE status = 'completed' AND NOT artifacts_synced
                                            AND run_id IN (SELECT run_id FROM wanted)) AS needing_artifacts
FROM ranked
GROUP BY repo, workflow_path;
