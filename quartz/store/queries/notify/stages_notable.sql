-- params: since
-- Stages that timed out recently, and stages still waiting for their run (dispatched) or for it to finish
-- (running) in a running cascade: the caller decides which waited too long.
SELECT s.cascade_run_id, c.cascade, s.stage, s.attempt, s.status, s.reason, s.run_url,
       coalesce(s.started_at, s.dispatched_at, s.updated_at) AS waiting_since
FROM cascade_stages s JOIN cascade_runs c USING (cascade_run_id)
WHERE (s.status = 'timed_out' AND s.finished_at >= $since)
   OR (c.status = 'running' AND s.status IN ('dispatched', 'running'))
ORDER BY s.cascade_run_id, s.stage;
