-- params: url
-- The ETag (and body, when one was kept) of a URL polled before.
SELECT etag, body
FROM http_cache
WHERE url = $url;
