-- params: channel, now
INSERT INTO notify_watch (channel, first_seen_at) VALUES ($channel, $now) ON CONFLICT (channel) DO NOTHING;
