-- params: cascade_run_id
SELECT * FROM cascade_runs WHERE cascade_run_id = $cascade_run_id;
