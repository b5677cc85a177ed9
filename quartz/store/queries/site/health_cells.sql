-- params: stale_before
-- Health grid cells: per project, branch and workflow, the newest completed run
-- and the newest run still going (ignoring in-flight runs older than $stale_before,
-- which are runs sync lost track of, not runs in progress).
SELECT
    project,
    head_branch AS branch,
    workflow_path,
    arg_max(run_id, (created_at, run_id)) FILTER (WHERE status = 'completed') AS run_id,
    arg_max(conclusion, (created_at, run_id)) FILTER (WHERE status = 'completed') AS conclusion,
    arg_max(updated_at, (created_at, run_id)) FILTER (WHERE status = 'completed') AS finished_at,
    arg_max(head_sha, (created_at, run_id)) FILTER (WHERE status = 'completed') AS head_sha,
    arg_max(html_url, (created_at, run_id)) FILTER (WHERE status = 'completed') AS html_url,
    arg_max(run_id, (created_at, run_id)) FILTER (WHERE status <> 'completed' AND created_at >= $stale_before)
        AS running_run_id,
    arg_max(html_url, (created_at, run_id)) FILTER (WHERE status <> 'completed' AND created_at >= $stale_before)
        AS running_html_url,
    max(fetched_at) AS fetched_at
FROM workflow_runs
WHERE project IS NOT NULL AND head_branch IS NOT NULL
GROUP BY project, head_branch, workflow_path;
