-- params: since
-- Per project, branch and workflow: the newest completed run and how many runs in a row, newest first,
-- failed. Cancelled and skipped runs say nothing about the code and are left out.
-- A run being re-run counts as its newest completed attempt left it (workflow_runs holds only the latest
-- attempt, run_attempts the earlier ones): a re-run in progress changes nothing about its branch.
-- A culprit probe's run (a stage dispatched again with older upstreams) is no news about its branch.
WITH rerunning AS (  -- few: runs whose latest attempt has not completed, on a second attempt or later
    SELECT run_id, run_attempt FROM workflow_runs
    WHERE status <> 'completed' AND run_attempt > 1 AND project IS NOT NULL AND created_at >= $since
),
settled AS (
    SELECT a.run_id, max(a.run_attempt) AS run_attempt, arg_max(a.conclusion, a.run_attempt) AS conclusion
    FROM run_attempts a JOIN rerunning r ON r.run_id = a.run_id AND a.run_attempt < r.run_attempt
    WHERE a.status = 'completed'
    GROUP BY a.run_id
),
runs AS (
    SELECT w.project, w.head_branch AS branch, w.workflow_path AS workflow, w.run_id, w.html_url, w.display_title,
           w.head_sha, w.created_at, w.event,
           CASE WHEN w.status = 'completed' THEN w.run_attempt ELSE s.run_attempt END AS run_attempt,
           CASE WHEN w.status = 'completed' THEN w.conclusion ELSE s.conclusion END AS conclusion
    FROM workflow_runs w LEFT JOIN settled s USING (run_id)
    WHERE w.project IS NOT NULL AND w.created_at >= $since
      AND w.run_id NOT IN (SELECT run_id FROM culprit_probes WHERE run_id IS NOT NULL)
),
ranked AS (
    SELECT project, branch, workflow, run_id, run_attempt, html_url, conclusion, display_title, head_sha, created_at,
           row_number() OVER (PARTITION BY project, branch, workflow ORDER BY created_at DESC, run_id DESC) AS rn,
           count(*) OVER (PARTITION BY project, branch, workflow) AS total
    FROM runs
    WHERE conclusion IN ('success', 'failure', 'timed_out', 'startup_failure')
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
