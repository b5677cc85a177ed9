-- params: channel, key, now, state, subject
-- Written in the same transaction as the intent, so the next cycle never detects the same change again.
INSERT INTO notify_state (channel, subject, state, key, updated_at) VALUES ($channel, $subject, $state, $key, $now)
ON CONFLICT (channel, subject) DO UPDATE SET state = excluded.state, key = excluded.key,
                                             updated_at = excluded.updated_at;
