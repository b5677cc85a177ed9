-- params: block_size, project
-- A project's runs cut into fixed blocks of $block_size counted from the oldest run id, each with a
-- fingerprint of every field builds.json shows, so an unchanged block is not rebuilt.
WITH numbered AS (
    SELECT run_id, updated_at,
           (row_number() OVER (ORDER BY run_id) - 1) // $block_size AS block,
           hash(run_id, workflow_path, display_title, event, head_branch, head_sha, run_number, run_attempt,
                status, conclusion, created_at, run_started_at, updated_at, html_url) AS h
    FROM workflow_runs
    WHERE project = $project
)
SELECT block, count(*) AS runs, min(run_id) AS first_run, max(run_id) AS last_run, max(updated_at) AS newest_update,
       bit_xor(h)::VARCHAR || '-' || sum(h::HUGEINT)::VARCHAR AS fingerprint
FROM numbered
GROUP BY block
ORDER BY block;
