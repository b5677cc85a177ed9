-- params: ids
-- Timeline events of the given cascade runs, oldest first.
SELECT seq, cascade_run_id, stage, occurred_at, kind, message
FROM cascade_events
WHERE cascade_run_id IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY cascade_run_id, occurred_at, seq;
