-- params: run_attempt, run_id
SELECT status FROM run_attempts WHERE run_id = $run_id AND run_attempt = $run_attempt;
