-- params: since
-- Cascade runs the engine looks at: running ones, and recently finished ones
-- (a run re-run by hand can still turn a stage green; cancelled ones still
-- owe their final commit statuses).
SELECT cascade_run_id, cascade, status, trigger_kind, trigger_run_id, trigger_repo, trigger_sha,
       trigger_project, ref, params, upstream, created_at, finished_at, version
FROM cascade_runs
WHERE status = 'running' OR finished_at >= $since
ORDER BY created_at, cascade_run_id;
