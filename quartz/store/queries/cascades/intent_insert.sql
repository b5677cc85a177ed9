-- params: attempt, cascade_run_id, correlation_id, kind, now, payload, ref, repo, stage, target
-- Written and committed before the POST; the primary key refuses a second intent for an id.
INSERT INTO dispatch_intents (correlation_id, cascade_run_id, stage, attempt, repo, kind, target, ref,
                              payload, created_at)
VALUES ($correlation_id, $cascade_run_id, $stage, $attempt, $repo, $kind, $target, $ref, $payload, $now);
