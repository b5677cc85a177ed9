-- params: backfilled_from, etag, last_synced_at, scope, watermark
-- A scope synced without error: move its watermark and clear the last error.
INSERT INTO sync_state (scope, watermark, backfilled_from, etag, last_synced_at, last_error)
VALUES ($scope, $watermark, $backfilled_from, $etag, $last_synced_at, NULL)
ON CONFLICT (scope) DO UPDATE SET
    watermark = excluded.watermark,
    backfilled_from = excluded.backfilled_from,
    etag = excluded.etag,
    last_synced_at = excluded.last_synced_at,
    last_error = NULL;
