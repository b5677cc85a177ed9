-- params: cascade, now
-- Remember when Quartz first saw a cascade (its triggers count from then on).
INSERT INTO cascade_watch (cascade, first_seen_at) VALUES ($cascade, $now)
ON CONFLICT (cascade) DO NOTHING;
