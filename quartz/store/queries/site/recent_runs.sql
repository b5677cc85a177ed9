-- params: per_branch
-- The newest $per_branch runs of every project and branch (project pages' recent builds).
SELECT project, run_id, workflow_path, name, display_title, event, head_branch, head_sha, run_number, run_attempt,
       status, conclusion, actor, created_at, run_started_at, updated_at, html_url
FROM workflow_runs
WHERE project IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY project, head_branch ORDER BY created_at DESC, run_id DESC) <= $per_branch
ORDER BY project, created_at DESC, run_id DESC;
