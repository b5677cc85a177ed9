-- params: (none)
-- The newest finished cycle: how fresh the data is.
SELECT cycle_id, started_at, finished_at, status, phase, error
FROM cycle_log
WHERE finished_at IS NOT NULL
ORDER BY finished_at DESC
LIMIT 1;
