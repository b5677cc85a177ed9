-- params: run_id
SELECT list(name ORDER BY name) AS names FROM artifacts WHERE run_id = $run_id;
