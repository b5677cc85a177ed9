-- params: ids
-- The synced run of every stage of the given cascade runs, with artifact names (NULL: not fetched yet).
SELECT s.cascade_run_id, s.stage, r.run_id, r.repo, r.project, r.workflow_path, r.event, r.status, r.conclusion,
       r.run_attempt, r.head_sha, r.head_branch, r.run_number, r.html_url, r.display_title, r.created_at,
       r.run_started_at, r.updated_at,
       CASE WHEN r.artifacts_synced OR a.names IS NOT NULL THEN coalesce(a.names, []) END AS artifact_names
FROM cascade_stages s
JOIN workflow_runs r ON r.run_id = s.run_id
LEFT JOIN (SELECT run_id, list(name ORDER BY name) AS names FROM artifacts GROUP BY run_id) a
       ON a.run_id = r.run_id
WHERE s.cascade_run_id IN (SELECT unnest($ids::VARCHAR[]));
