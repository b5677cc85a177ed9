-- params: fetched_at, project, repo, runs, workflow_path
-- Bulk history for `quartz bench`: completed first attempts, as sync_upsert_runs stores them.
-- Times arrive as epoch seconds from a registered frame named by $runs.
INSERT INTO workflow_runs (run_id, repo, project, workflow_id, workflow_path, name, display_title, event,
                           head_branch, head_sha, head_commit_message, run_number, run_attempt, status,
                           conclusion, actor, created_at, run_started_at, updated_at, html_url,
                           jobs_synced_attempt, artifacts_synced, fetched_at)
SELECT run_id, $repo, $project, workflow_id, $workflow_path, name, display_title, event,
       head_branch, head_sha, head_commit_message, run_number, 1, 'completed',
       conclusion, actor, to_timestamp(created_at), to_timestamp(run_started_at), to_timestamp(updated_at), html_url,
       1, FALSE, $fetched_at
FROM query_table($runs);
