-- params: cascades, since
-- Failed stages of cascades that probe culprits, not looked at yet, and every search still going.
SELECT s.cascade_run_id, s.stage, s.status AS stage_status, s.run_id AS stage_run_id,
       x.status AS search_status, x.last_good_id,
       c.cascade, c.status, c.trigger_kind, c.trigger_run_id, c.trigger_repo, c.trigger_sha, c.trigger_project,
       c.ref, c.params, c.upstream, c.created_at, c.finished_at
FROM cascade_stages s
JOIN cascade_runs c USING (cascade_run_id)
LEFT JOIN culprit_searches x ON x.cascade_run_id = s.cascade_run_id AND x.stage = s.stage
WHERE c.cascade IN (SELECT unnest($cascades::VARCHAR[]))
  AND ((x.status IS NULL AND s.status = 'failure' AND s.finished_at >= $since) OR x.status = 'searching')
ORDER BY c.created_at, s.cascade_run_id, s.stage;
