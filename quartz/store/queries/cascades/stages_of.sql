-- params: cascade_run_id
SELECT * FROM cascade_stages WHERE cascade_run_id = $cascade_run_id ORDER BY stage;
