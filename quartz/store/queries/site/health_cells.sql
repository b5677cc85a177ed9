-- params: stale_before
-- Health grid cells: per project, branch and workflow, the newest completed run
-- and the newest run still going (ignoring in-flight runs older than $stale_before,
-- which are runs sync lost track of, not runs in progress).
-- One arg_max of a struct per kind of run, not one per column: 40% less for a year of runs.
-- A culprit probe's run ran the branch with older upstreams: it says nothing of the branch as it is.
WITH newest AS (
    SELECT project, head_branch, workflow_path,
        arg_max({'run_id': run_id, 'conclusion': conclusion, 'finished_at': updated_at, 'head_sha': head_sha,
                 'html_url': html_url}, (created_at, run_id)) FILTER (WHERE status = 'completed') AS done,
        arg_max({'run_id': run_id, 'html_url': html_url}, (created_at, run_id))
            FILTER (WHERE status <> 'completed' AND created_at >= $stale_before) AS going,
        max(fetched_at) AS fetched_at
    FROM workflow_runs
    WHERE project IS NOT NULL AND head_branch IS NOT NULL
      AND run_id NOT IN (SELECT run_id FROM culprit_probes WHERE run_id IS NOT NULL)
    GROUP BY project, head_branch, workflow_path
)
SELECT project, head_branch AS branch, workflow_path, done.run_id AS run_id, done.conclusion AS conclusion,
       done.finished_at AS finished_at, done.head_sha AS head_sha, done.html_url AS html_url,
       going.run_id AS running_run_id, going.html_url AS running_html_url, fetched_at
FROM newest;
