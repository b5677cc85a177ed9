-- params: live_ids
-- Runs whose build page is kept beyond the newest per branch (issue 26: a failure is always one click away):
-- every run the store holds (hot or history) that failed, or that a failure line, a cascade or a
-- notification names, except $live_ids (paged already). With what their page is made of, so an unchanged
-- page is carried over without being built. Newest first.
WITH named AS (
    SELECT run_id FROM workflow_runs WHERE conclusion IN ('failure', 'timed_out', 'startup_failure')
    UNION SELECT run_id FROM failure_lines
    UNION SELECT trigger_run_id FROM cascade_runs WHERE trigger_run_id IS NOT NULL
    UNION SELECT run_id FROM cascade_stages WHERE run_id IS NOT NULL
    UNION SELECT TRY_CAST(regexp_extract(transition, '@(\d+)', 1) AS BIGINT) FROM notify_intents
), lines AS (
    SELECT run_id, count(*) AS lines, max(fetched_at) AS lines_at
    FROM failure_lines
    WHERE run_id IN (SELECT run_id FROM named)
    GROUP BY run_id
)
SELECT r.run_id, r.run_attempt, r.status, r.conclusion, r.updated_at, l.lines, l.lines_at
FROM workflow_runs r
JOIN named n ON n.run_id = r.run_id
LEFT JOIN lines l ON l.run_id = r.run_id
WHERE r.project IS NOT NULL
  AND r.run_id NOT IN (SELECT unnest($live_ids::BIGINT[]))
ORDER BY r.created_at DESC, r.run_id DESC;
