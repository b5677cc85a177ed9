-- params: block_size
-- Every project's runs cut into fixed blocks of $block_size counted from its oldest run id, each with a
-- fingerprint of every field builds.json shows, so an unchanged block is not rebuilt. All projects in
-- one pass: one query per project read every run twenty times.
WITH numbered AS (
    SELECT project, run_id, updated_at,
           (row_number() OVER (PARTITION BY project ORDER BY run_id) - 1) // $block_size AS block,
           hash(run_id, workflow_path, display_title, event, head_branch, head_sha, run_number, run_attempt,
                status, conclusion, created_at, run_started_at, updated_at, html_url) AS h
    FROM workflow_runs
    WHERE project IS NOT NULL
)
SELECT project, block, count(*) AS runs, min(run_id) AS first_run, max(run_id) AS last_run,
       max(updated_at) AS newest_update, bit_xor(h)::VARCHAR || '-' || sum(h::HUGEINT)::VARCHAR AS fingerprint
FROM numbered
GROUP BY project, block
ORDER BY project, block;
