-- params: (none)
-- Bookkeeping of every run-listing scope, read once when a sync starts.
SELECT scope, watermark, backfilled_from, etag, last_synced_at, last_error
FROM sync_state
WHERE scope LIKE 'runs:%';
