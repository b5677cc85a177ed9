-- params: body, etag, fetched_at, url
-- Remember a URL's ETag once what its body said is stored.
INSERT INTO http_cache (url, etag, body, fetched_at)
VALUES ($url, $etag, $body, $fetched_at)
ON CONFLICT (url) DO UPDATE SET
    etag = excluded.etag,
    body = excluded.body,
    fetched_at = excluded.fetched_at;
