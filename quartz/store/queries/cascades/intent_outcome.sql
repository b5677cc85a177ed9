-- params: correlation_id, error, now, outcome, response_status, run_id
UPDATE dispatch_intents
SET sent_at = $now, outcome = $outcome, response_status = $response_status, run_id = $run_id, error = $error
WHERE correlation_id = $correlation_id;
