-- params: (none)
-- Probes in flight, any cascade run: a stage gets no second probe while one runs.
SELECT p.cascade_run_id, p.stage, c.cascade
FROM culprit_probes p JOIN cascade_runs c USING (cascade_run_id)
WHERE p.status IN ('dispatched', 'running');
