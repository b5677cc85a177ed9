-- params: cutoff
-- The oldest created_at among runs the archive would move: the cycle archives in batches, not every cycle.
SELECT min(coalesce(created_at, fetched_at)) AS oldest
FROM workflow_runs
WHERE status = 'completed' AND coalesce(created_at, fetched_at) < $cutoff;
