-- params: cascade_run_id, kind, message, now, stage
INSERT INTO cascade_events (cascade_run_id, stage, occurred_at, kind, message)
VALUES ($cascade_run_id, $stage, $now, $kind, $message);
