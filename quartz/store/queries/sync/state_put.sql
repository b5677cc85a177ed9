-- params: states
-- Scopes synced without error: move their watermarks and clear their last errors, in one statement
-- ($states: a list of structs scope, watermark, backfilled_from, etag, last_synced_at, one per scope).
INSERT INTO sync_state (scope, watermark, backfilled_from, etag, last_synced_at, last_error)
SELECT scope, watermark, backfilled_from, etag, last_synced_at, NULL
FROM (SELECT unnest($states, recursive := true))
ON CONFLICT (scope) DO UPDATE SET
    watermark = excluded.watermark,
    backfilled_from = excluded.backfilled_from,
    etag = excluded.etag,
    last_synced_at = excluded.last_synced_at,
    last_error = NULL;
