-- params: commits
-- The commit × job grid of every project and branch at once: the newest $commits
-- commits per (project, branch), each run on them, and the jobs of each run's
-- latest attempt. One query, so the 5M-row jobs table is scanned once.
WITH per_commit AS (
    SELECT project, head_branch, head_sha, max(created_at) AS commit_seen
    FROM workflow_runs
    WHERE project IS NOT NULL AND head_branch IS NOT NULL AND head_sha IS NOT NULL
    GROUP BY ALL
),
newest AS (
    SELECT *, row_number() OVER (PARTITION BY project, head_branch ORDER BY commit_seen DESC, head_sha) AS commit_rank
    FROM per_commit
    QUALIFY commit_rank <= $commits
),
runs AS (
    SELECT r.run_id, r.run_attempt, r.project, r.head_branch, r.head_sha, r.workflow_path, r.status,
           r.conclusion, r.created_at, r.html_url, r.head_commit_message, n.commit_rank, n.commit_seen
    FROM workflow_runs r
    JOIN newest n USING (project, head_branch, head_sha)
)
SELECT runs.project, runs.head_branch AS branch, runs.head_sha, runs.commit_rank,
       strftime(runs.commit_seen, '%Y-%m-%dT%H:%M:%SZ') AS commit_seen,  -- as the page shows it: text is cheap
       runs.head_commit_message, runs.run_id, runs.workflow_path, runs.status AS run_status,
       runs.conclusion AS run_conclusion, runs.html_url AS run_url,
       j.job_id, j.name AS job_name, j.status AS job_status, j.conclusion AS job_conclusion,
       epoch(j.completed_at - j.started_at) AS job_seconds, runs.html_url || '/job/' || j.job_id AS job_url
FROM runs
-- Only these runs' jobs, chosen first: joined directly, the whole jobs table would be hashed.
LEFT JOIN (SELECT * FROM jobs WHERE run_id IN (SELECT run_id FROM runs)) j
    ON j.run_id = runs.run_id AND j.run_attempt = runs.run_attempt
ORDER BY runs.project, runs.head_branch, runs.commit_rank, runs.created_at, runs.run_id, j.job_id;
