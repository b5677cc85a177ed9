-- params: now, scope
-- Marks a store as made by `quartz demo`, so a later demo may replace it (and never a real one).
INSERT INTO sync_state (scope, last_synced_at) VALUES ($scope, $now)
ON CONFLICT (scope) DO UPDATE SET last_synced_at = excluded.last_synced_at;
