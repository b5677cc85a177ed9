-- params: (none)
-- Stages whose downstream run is known, with what started their cascade run.
SELECT cr.cascade, cr.cascade_run_id, cr.trigger_kind, cr.trigger_run_id, cs.stage, cs.run_id
FROM cascade_stages cs
JOIN cascade_runs cr USING (cascade_run_id)
WHERE cs.run_id IS NOT NULL
ORDER BY cr.created_at;
