-- params: ids
-- The culprit searches of the given cascade runs.
SELECT cascade_run_id, stage, cascade, last_good_id, changed, status, verdict_kind, verdict, culprits, created_at,
       updated_at, finished_at
FROM culprit_searches
WHERE cascade_run_id IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY cascade_run_id, stage;
