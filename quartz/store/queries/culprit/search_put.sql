-- params: cascade, cascade_run_id, changed, culprits, last_good_id, now, stage, status, verdict, verdict_kind
-- A search begins or ends; one going on is left as it is (no write while it waits), a finished one
-- (done, skipped) is never written again.
INSERT INTO culprit_searches (cascade_run_id, stage, cascade, last_good_id, changed, status, verdict_kind, verdict,
                              culprits, created_at, updated_at, finished_at)
VALUES ($cascade_run_id, $stage, $cascade, $last_good_id, $changed, $status, $verdict_kind, $verdict, $culprits,
        $now, $now, CASE WHEN $status = 'searching' THEN NULL ELSE $now END)
ON CONFLICT (cascade_run_id, stage) DO UPDATE
SET status = excluded.status, verdict_kind = excluded.verdict_kind, verdict = excluded.verdict,
    culprits = excluded.culprits, updated_at = excluded.updated_at, finished_at = excluded.finished_at
WHERE culprit_searches.status = 'searching' AND excluded.status <> 'searching';
