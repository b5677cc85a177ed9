-- params: repo, workflow_path
-- Completed runs a cascade points at (as trigger or stage run) whose artifacts
-- are not stored yet: `upstream.<stage>.artifact_names` needs them.
SELECT run_id
FROM workflow_runs
WHERE repo = $repo AND workflow_path = $workflow_path
  AND status = 'completed' AND NOT artifacts_synced
  AND (run_id IN (SELECT run_id FROM cascade_stages WHERE run_id IS NOT NULL)
       OR run_id IN (SELECT trigger_run_id FROM cascade_runs WHERE trigger_run_id IS NOT NULL))
ORDER BY run_id;
