-- params: cascade, channel, channel_type, cycle_id, detail, event, key, link, now, project, subject, title, transition
-- Committed before the message is sent. A key seen before (a run re-run back to an old state) is not told twice.
INSERT INTO notify_intents (key, channel, channel_type, event, subject, transition, title, detail, link, project,
                            cascade, cycle_id, created_at)
VALUES ($key, $channel, $channel_type, $event, $subject, $transition, $title, $detail, $link, $project, $cascade,
        $cycle_id, $now)
ON CONFLICT (key) DO NOTHING;
