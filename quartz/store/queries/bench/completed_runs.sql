-- params: (none)
-- Completed runs whose jobs are stored: what a backfill is measured per.
SELECT count(*) AS runs FROM workflow_runs WHERE status = 'completed' AND jobs_synced_attempt IS NOT NULL;
