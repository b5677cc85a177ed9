-- params: cascade_run_id, correlation_id, kind, now, payload, put_back, reason, ref, repo, seq, stage, target
-- The probe's intent, committed before its POST; the primary key refuses a second one.
INSERT INTO culprit_probes (correlation_id, cascade_run_id, stage, seq, put_back, status, reason, repo, kind, target,
                            ref, payload, dispatched_at, updated_at)
VALUES ($correlation_id, $cascade_run_id, $stage, $seq, $put_back, 'dispatched', $reason, $repo, $kind, $target,
        $ref, $payload, $now, $now);
