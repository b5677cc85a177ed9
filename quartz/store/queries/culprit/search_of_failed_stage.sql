-- params: stage
-- The newest cascade run's search for a stage (the bench's planted-culprit world has one cascade).
SELECT x.status, x.verdict_kind, x.verdict
FROM culprit_searches x JOIN cascade_runs c USING (cascade_run_id)
WHERE x.stage = $stage
ORDER BY c.created_at DESC
LIMIT 1;
