-- params: extra_ids, per_branch
-- Runs that get a build page: the newest $per_branch runs of every project and
-- branch, plus the runs named in $extra_ids (those linked from cascade pages).
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY project, head_branch ORDER BY created_at DESC, run_id DESC) AS rank
    FROM workflow_runs
    WHERE project IS NOT NULL
)
SELECT * EXCLUDE (rank)
FROM ranked
WHERE rank <= $per_branch OR run_id IN (SELECT unnest($extra_ids::BIGINT[]))
ORDER BY run_id;
