-- params: rows
-- Runs as GitHub lists them (the latest attempt). Rows written by dispatch or
-- ingest keep their source, inputs and project.
INSERT INTO workflow_runs (run_id, repo, project, workflow_id, workflow_path, name, display_title, event,
                           head_branch, head_sha, head_commit_message, run_number, run_attempt, status,
                           conclusion, actor, created_at, run_started_at, updated_at, html_url,
                           jobs_synced_attempt, artifacts_synced, fetched_at)
SELECT r.run_id::BIGINT, r.repo::VARCHAR, r.project::VARCHAR, r.workflow_id::BIGINT, r.workflow_path::VARCHAR,
       r.name::VARCHAR, r.display_title::VARCHAR, r.event::VARCHAR, r.head_branch::VARCHAR, r.head_sha::VARCHAR,
       r.head_commit_message::VARCHAR, r.run_number::BIGINT, r.run_attempt::INTEGER, r.status::VARCHAR,
       r.conclusion::VARCHAR, r.actor::VARCHAR, r.created_at::TIMESTAMPTZ, r.run_started_at::TIMESTAMPTZ,
       r.updated_at::TIMESTAMPTZ, r.html_url::VARCHAR, r.jobs_synced_attempt::INTEGER,
       r.artifacts_synced::BOOLEAN, r.fetched_at::TIMESTAMPTZ
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (run_id) DO UPDATE SET
    repo = excluded.repo,
    project = COALESCE(excluded.project, workflow_runs.project),
    workflow_id = excluded.workflow_id,
    workflow_path = excluded.workflow_path,
    name = excluded.name,
    display_title = excluded.display_title,
    event = excluded.event,
    head_branch = excluded.head_branch,
    head_sha = excluded.head_sha,
    head_commit_message = excluded.head_commit_message,
    run_number = excluded.run_number,
    run_attempt = excluded.run_attempt,
    status = excluded.status,
    conclusion = excluded.conclusion,
    actor = excluded.actor,
    created_at = excluded.created_at,
    run_started_at = excluded.run_started_at,
    updated_at = excluded.updated_at,
    html_url = excluded.html_url,
    jobs_synced_attempt = excluded.jobs_synced_attempt,
    artifacts_synced = excluded.artifacts_synced,
    fetched_at = excluded.fetched_at;
