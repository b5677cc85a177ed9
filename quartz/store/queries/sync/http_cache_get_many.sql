-- params: urls
-- The ETags (and bodies, when kept) of many URLs polled before: a sync's first pages, read at once.
SELECT url, etag, body
FROM http_cache
WHERE url IN (SELECT unnest($urls::VARCHAR[]));
