-- params: inputs, run_id
-- A synced run learns its dispatch inputs from a report; nothing else about it changes.
UPDATE workflow_runs SET inputs = $inputs::JSON WHERE run_id = $run_id AND inputs IS NULL;
