-- params: limit
-- The newest cascade runs with a count of their stages per status, for `quartz status`.
SELECT c.cascade_run_id, c.cascade, c.status, c.trigger_kind, c.trigger_run_id, c.trigger_repo, c.ref,
       c.created_at, c.finished_at, c.reason,
       count(s.stage) AS stages,
       count(s.stage) FILTER (WHERE s.status = 'success') AS succeeded,
       count(s.stage) FILTER (WHERE s.status IN ('failure', 'timed_out')) AS failed,
       count(s.stage) FILTER (WHERE s.status IN ('pending', 'dispatched', 'running')) AS open
FROM cascade_runs c LEFT JOIN cascade_stages s USING (cascade_run_id)
GROUP BY ALL
ORDER BY c.created_at DESC, c.cascade_run_id
LIMIT $limit;
