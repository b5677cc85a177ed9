-- params: extra_ids, per_branch
-- Runs that get a build page: the newest $per_branch runs of every project and
-- branch, plus the runs named in $extra_ids (those linked from cascade pages).
-- Ranked on the few columns the ranking needs, then read whole: a window over every column costs 2.5×.
WITH paged AS (
    SELECT run_id
    FROM workflow_runs
    WHERE project IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY project, head_branch ORDER BY created_at DESC, run_id DESC) <= $per_branch
    UNION
    SELECT unnest($extra_ids::BIGINT[])
)
SELECT *
FROM workflow_runs
WHERE run_id IN (SELECT run_id FROM paged)
ORDER BY run_id;
