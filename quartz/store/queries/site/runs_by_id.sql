-- params: run_ids
-- Whole rows of the given runs, as site/build_runs gives them: a light render's few paged runs.
SELECT *
FROM workflow_runs
WHERE run_id IN (SELECT unnest($run_ids::BIGINT[]))
ORDER BY run_id;
