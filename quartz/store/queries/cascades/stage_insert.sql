-- params: cascade_run_id, now, reason, repo, stage
INSERT INTO cascade_stages (cascade_run_id, stage, attempt, status, reason, repo, updated_at)
VALUES ($cascade_run_id, $stage, 0, 'pending', $reason, $repo, $now);
