-- params: before, cascade
-- The newest run of the cascade that passed, created before the failed one.
SELECT cascade_run_id, cascade, status, trigger_kind, trigger_run_id, trigger_repo, trigger_sha, trigger_project,
       ref, params, upstream, created_at, finished_at
FROM cascade_runs
WHERE cascade = $cascade AND status = 'success' AND created_at < $before
ORDER BY created_at DESC, cascade_run_id DESC
LIMIT 1;
