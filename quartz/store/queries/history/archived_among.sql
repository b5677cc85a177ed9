-- params: run_ids
-- Which of these runs are in the Parquet history already (sync leaves them there).
SELECT run_id FROM history_runs WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]));
