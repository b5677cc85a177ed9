-- params: since
-- Per cascade, its newest finished run (cancelled runs say nothing about the code and are left out). A run
-- re-opened by a re-run keeps the place its last finish gave it, so it is the one returned (still running):
-- an older run must not speak for the cascade while the newest one is being re-run.
SELECT cascade_run_id, cascade, status, reason, trigger_project, finished_at
FROM (
    SELECT c.cascade_run_id, c.cascade, c.status, c.reason, c.trigger_project,
           coalesce(c.finished_at, f.last_finished) AS finished_at
    FROM cascade_runs c
    LEFT JOIN (SELECT cascade_run_id, max(occurred_at) AS last_finished
               FROM cascade_events WHERE stage IS NULL AND kind = 'finished'
               GROUP BY cascade_run_id) f ON f.cascade_run_id = c.cascade_run_id AND c.status = 'running'
    WHERE c.status IN ('success', 'failure', 'partial_failure', 'running')
)
WHERE finished_at >= $since
QUALIFY row_number() OVER (PARTITION BY cascade ORDER BY finished_at DESC, cascade_run_id DESC) = 1
ORDER BY cascade;
