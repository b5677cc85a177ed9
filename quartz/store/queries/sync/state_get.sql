-- params: scope
-- Bookkeeping of one sync scope, e.g. 'runs:ROCm/pytorch:rocm-build.yml'.
SELECT scope, watermark, backfilled_from, etag, last_synced_at, last_error
FROM sync_state
WHERE scope = $scope;
