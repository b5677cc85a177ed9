-- params: batch, error, issue_url, key, now, response_status, status
UPDATE notify_intents
SET status = $status, sent_at = $now, response_status = $response_status, error = $error, batch = $batch,
    issue_url = coalesce($issue_url, issue_url)
WHERE key = $key AND status = 'pending';
