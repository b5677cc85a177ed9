-- params: (none)
-- Intents of stages still waiting for their run.
SELECT i.correlation_id, i.outcome, i.response_status, i.error, i.created_at, i.run_id
FROM dispatch_intents i JOIN cascade_stages s ON s.correlation_id = i.correlation_id
WHERE s.status = 'dispatched';
