-- params: cycle_id, started_at
INSERT INTO cycle_log (cycle_id, started_at, status, phase)
VALUES ($cycle_id, $started_at, 'running', 'sync');
