-- params: run_id
UPDATE workflow_runs SET artifacts_synced = TRUE WHERE run_id = $run_id;
