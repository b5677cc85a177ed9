-- params: cutoff
-- Runs that may leave the hot store: completed, created before $cutoff, and not part of a cascade still
-- running (its stages or its trigger), with the partition each goes to.
SELECT r.run_id,
       coalesce(r.project, '_none') AS project,
       strftime(coalesce(r.created_at, r.fetched_at), '%Y-%m') AS month
FROM workflow_runs r
WHERE r.status = 'completed'
  AND coalesce(r.created_at, r.fetched_at) < $cutoff
  AND r.run_id NOT IN (
      SELECT s.run_id FROM cascade_stages s JOIN cascade_runs c USING (cascade_run_id)
      WHERE c.status = 'running' AND s.run_id IS NOT NULL
      UNION ALL
      SELECT trigger_run_id FROM cascade_runs WHERE status = 'running' AND trigger_run_id IS NOT NULL)
ORDER BY r.run_id;
