-- params: last_error, scope
-- A scope that failed this cycle: keep its watermark, record why.
INSERT INTO sync_state (scope, last_error)
VALUES ($scope, $last_error)
ON CONFLICT (scope) DO UPDATE SET last_error = excluded.last_error;
