-- params: cascade, cascade_run_id, created_by, now, params, reason, ref, trigger_kind, trigger_project, trigger_repo, trigger_run_id, trigger_sha, upstream
-- A new cascade run; the unique index (cascade, trigger_run_id) keeps one per upstream run.
INSERT INTO cascade_runs (cascade_run_id, cascade, status, trigger_kind, trigger_run_id, trigger_repo,
                          trigger_sha, trigger_project, ref, params, upstream, reason, created_by,
                          created_at, updated_at, version)
VALUES ($cascade_run_id, $cascade, 'running', $trigger_kind, $trigger_run_id, $trigger_repo,
        $trigger_sha, $trigger_project, $ref, $params, $upstream, $reason, $created_by, $now, $now, 0)
ON CONFLICT DO NOTHING
RETURNING cascade_run_id;
