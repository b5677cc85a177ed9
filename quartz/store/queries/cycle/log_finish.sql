-- params: cascades_finished, cycle_id, error, finished_at, phase, rate_points, requests, runs_seen, stages_dispatched, status
UPDATE cycle_log SET
    finished_at = $finished_at,
    status = $status,
    phase = $phase,
    requests = $requests,
    rate_points = $rate_points,
    runs_seen = $runs_seen,
    stages_dispatched = $stages_dispatched,
    cascades_finished = $cascades_finished,
    error = $error
WHERE cycle_id = $cycle_id;
