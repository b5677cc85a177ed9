-- params: actor, captured_outputs, conclusion, created_at, digest, display_title, event, event_type, head_branch, head_sha, html_url, inputs, jobs_from, name, nested, now, parent_run_id, referenced_workflows, release_type, repo, run_attempt, run_id, run_number, run_started_at, sender, status, triggering_actor, unit, updated_at, workflow_id, workflow_path
-- Record one report (the caller has already ruled out resends and regressions).
INSERT INTO ingest_reports (run_id, run_attempt, unit, repo, event_type, workflow_path, nested, workflow_id, name,
                            display_title, event, head_branch, head_sha, run_number, status, conclusion, html_url,
                            created_at, updated_at, run_started_at, actor, triggering_actor, release_type, inputs,
                            captured_outputs, parent_run_id, referenced_workflows, sender, jobs_from, digest,
                            first_received_at, received_at)
VALUES ($run_id, $run_attempt, $unit, $repo, $event_type, $workflow_path, $nested, $workflow_id, $name,
        $display_title, $event, $head_branch, $head_sha, $run_number, $status, $conclusion, $html_url,
        $created_at, $updated_at, $run_started_at, $actor, $triggering_actor, $release_type, $inputs::JSON,
        $captured_outputs::JSON, $parent_run_id, $referenced_workflows::JSON, $sender, $jobs_from, $digest,
        $now, $now)
ON CONFLICT (run_id, run_attempt, unit) DO UPDATE SET
    repo = excluded.repo, event_type = excluded.event_type, workflow_path = excluded.workflow_path,
    nested = excluded.nested, workflow_id = excluded.workflow_id, name = excluded.name,
    display_title = excluded.display_title, event = excluded.event, head_branch = excluded.head_branch,
    head_sha = excluded.head_sha, run_number = excluded.run_number, status = excluded.status,
    conclusion = excluded.conclusion, html_url = excluded.html_url, created_at = excluded.created_at,
    updated_at = excluded.updated_at, run_started_at = excluded.run_started_at, actor = excluded.actor,
    triggering_actor = excluded.triggering_actor, release_type = excluded.release_type, inputs = excluded.inputs,
    captured_outputs = excluded.captured_outputs, parent_run_id = excluded.parent_run_id,
    referenced_workflows = excluded.referenced_workflows, sender = excluded.sender,
    jobs_from = excluded.jobs_from, digest = excluded.digest, received_at = excluded.received_at;
