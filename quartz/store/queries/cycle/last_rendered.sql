-- params: cycle_id
-- When a render fails: the data time of the newest other cycle whose render is not known to have failed.
SELECT max(finished_at) AS finished_at
FROM cycle_log
WHERE finished_at IS NOT NULL AND render_status IS NULL AND cycle_id <> $cycle_id;
