-- params: cascade, channel, channel_type, cycle_id, detail, event, key, link, now, project, subject, title, transition
-- Committed before the message is sent. Returns the key only when this insert made the intent: a key that
-- exists (a replayed view of a change already told, in whatever state) is never sent again.
INSERT INTO notify_intents (key, channel, channel_type, event, subject, transition, title, detail, link, project,
                            cascade, cycle_id, created_at)
VALUES ($key, $channel, $channel_type, $event, $subject, $transition, $title, $detail, $link, $project, $cascade,
        $cycle_id, $now)
ON CONFLICT (key) DO NOTHING
RETURNING key;
