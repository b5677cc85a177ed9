-- params: ids
-- Stages of the given cascade runs with what is known of each stage's run.
SELECT s.cascade_run_id, s.stage, s.attempt, s.status, s.reason, s.correlation_id, s.run_id, s.repo,
       s.dispatched_at, s.started_at, s.finished_at, s.updated_at, s.signal_at, s.signal,
       r.head_sha, r.head_branch, r.html_url, r.status AS run_status, r.conclusion AS run_conclusion,
       r.run_number, r.created_at AS run_created_at, r.run_started_at, r.updated_at AS run_updated_at,
       r.workflow_path, r.project
FROM cascade_stages s
LEFT JOIN workflow_runs r ON r.run_id = s.run_id
WHERE s.cascade_run_id IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY s.cascade_run_id, s.stage;
