-- params: limit
SELECT key, channel, channel_type, event, subject, transition, title, link, project, cascade, batch, created_at,
       sent_at, status, response_status, error, issue_url
FROM notify_intents
ORDER BY created_at DESC, key
LIMIT $limit;
