-- params: since
-- Per project, branch and workflow: the newest completed run and how many runs in a row, newest first,
-- failed. Cancelled and skipped runs say nothing about the code and are left out.
WITH ranked AS (
    SELECT project, head_branch AS branch, workflow_path AS workflow, run_id, run_attempt, html_url, conclusion,
           display_title, head_sha, created_at,
           row_number() OVER (PARTITION BY project, head_branch, workflow_path
                              ORDER BY created_at DESC, run_id DESC) AS rn,
           count(*) OVER (PARTITION BY project, head_branch, workflow_path) AS total
    FROM workflow_runs
    WHERE project IS NOT NULL AND status = 'completed' AND created_at >= $since
      AND conclusion IN ('success', 'failure', 'timed_out', 'startup_failure')
      AND coalesce(event, '') <> 'pull_request'  -- a pull request's head branch is not the project's branch
),
first_green AS (
    SELECT project, branch, workflow, min(rn) AS rn FROM ranked WHERE conclusion = 'success'
    GROUP BY project, branch, workflow
)
SELECT r.project, r.branch, r.workflow, r.run_id, r.run_attempt, r.html_url, r.conclusion, r.display_title, r.head_sha,
       coalesce(g.rn - 1, r.total) AS failures
FROM ranked r LEFT JOIN first_green g USING (project, branch, workflow)
WHERE r.rn = 1
ORDER BY r.project, r.branch, r.workflow;
