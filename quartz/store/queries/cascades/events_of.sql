-- params: cascade_run_id
SELECT seq, stage, occurred_at, kind, message FROM cascade_events
WHERE cascade_run_id = $cascade_run_id ORDER BY seq;
