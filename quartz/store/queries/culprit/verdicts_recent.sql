-- params: since
-- Verdicts reached since a moment (the culprit_verdict notification).
SELECT cascade_run_id, stage, cascade, verdict_kind, verdict, finished_at
FROM culprit_searches
WHERE status = 'done' AND finished_at >= $since
ORDER BY finished_at, cascade_run_id, stage;
