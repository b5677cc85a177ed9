-- params: actor, conclusion, created_at, display_title, event, head_branch, head_sha, html_url, inputs, name, now, project, repo, run_attempt, run_id, run_number, run_started_at, status, updated_at, workflow_id, workflow_path
-- A reported run as a whole (the caller decides that this report may speak for it).
INSERT INTO workflow_runs (run_id, repo, project, workflow_id, workflow_path, name, display_title, event,
                           head_branch, head_sha, run_number, run_attempt, status, conclusion, actor, created_at,
                           run_started_at, updated_at, html_url, source, inputs, fetched_at)
VALUES ($run_id, $repo, $project, $workflow_id, $workflow_path, $name, $display_title, $event,
        $head_branch, $head_sha, $run_number, $run_attempt, $status, $conclusion, $actor, $created_at,
        $run_started_at, $updated_at, $html_url, 'ingest', $inputs::JSON, $now)
ON CONFLICT (run_id) DO UPDATE SET
    repo = excluded.repo, project = COALESCE(excluded.project, workflow_runs.project),
    workflow_id = COALESCE(excluded.workflow_id, workflow_runs.workflow_id),
    workflow_path = COALESCE(excluded.workflow_path, workflow_runs.workflow_path),
    name = excluded.name, display_title = excluded.display_title, event = excluded.event,
    head_branch = excluded.head_branch, head_sha = excluded.head_sha, run_number = excluded.run_number,
    run_attempt = excluded.run_attempt, status = excluded.status, conclusion = excluded.conclusion,
    actor = excluded.actor, created_at = excluded.created_at, run_started_at = excluded.run_started_at,
    updated_at = excluded.updated_at, html_url = excluded.html_url,
    inputs = COALESCE(excluded.inputs, workflow_runs.inputs), fetched_at = excluded.fetched_at;
