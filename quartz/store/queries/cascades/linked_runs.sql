-- params: since
-- Synced runs the advancing cascade runs point at (trigger and stage runs), with
-- artifact names (NULL when the run's artifacts have not been fetched yet).
WITH c AS (
    SELECT cascade_run_id, trigger_run_id FROM cascade_runs WHERE status = 'running' OR finished_at >= $since
), ids AS (
    SELECT s.run_id FROM cascade_stages s JOIN c USING (cascade_run_id) WHERE s.run_id IS NOT NULL
    UNION
    SELECT trigger_run_id FROM c WHERE trigger_run_id IS NOT NULL
)
SELECT r.run_id, r.repo, r.project, r.workflow_path, r.event, r.status, r.conclusion, r.run_attempt,
       r.head_sha, r.head_branch, r.run_number, r.html_url, r.display_title, r.created_at,
       r.run_started_at, r.updated_at,
       CASE WHEN r.artifacts_synced OR a.names IS NOT NULL THEN coalesce(a.names, []) END AS artifact_names
FROM workflow_runs r
LEFT JOIN (SELECT run_id, list(name ORDER BY name) AS names FROM artifacts GROUP BY run_id) a
       ON a.run_id = r.run_id
WHERE r.run_id IN (SELECT run_id FROM ids);
