-- params: (none)
-- Every cascade run, newest first.
SELECT cascade_run_id, cascade, status, trigger_kind, trigger_run_id, trigger_repo, trigger_sha, ref,
       params, upstream, reason, created_by, created_at, updated_at, finished_at
FROM cascade_runs
ORDER BY created_at DESC, cascade_run_id DESC;
