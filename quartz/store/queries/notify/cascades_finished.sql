-- params: since
-- Per cascade, its newest finished run (cancelled runs say nothing about the code and are left out).
SELECT cascade_run_id, cascade, status, reason, trigger_project, finished_at
FROM cascade_runs
WHERE status IN ('success', 'failure', 'partial_failure') AND finished_at >= $since
QUALIFY row_number() OVER (PARTITION BY cascade ORDER BY finished_at DESC, cascade_run_id DESC) = 1
ORDER BY cascade;
