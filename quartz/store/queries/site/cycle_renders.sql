-- params: (none)
-- The newest finished cycles with their render outcome, newest first: which renders failed lately.
SELECT cycle_id, finished_at, render_status, render_error
FROM cycle_log
WHERE finished_at IS NOT NULL
ORDER BY finished_at DESC
LIMIT 100;
