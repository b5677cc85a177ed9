-- params: rows
INSERT INTO artifacts (artifact_id, run_id, name, size_in_bytes, expired, created_at, expires_at,
                       archive_download_url)
SELECT r.artifact_id::BIGINT, r.run_id::BIGINT, r.name::VARCHAR, r.size_in_bytes::BIGINT, r.expired::BOOLEAN,
       r.created_at::TIMESTAMPTZ, r.expires_at::TIMESTAMPTZ, r.archive_download_url::VARCHAR
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (artifact_id) DO UPDATE SET
    name = excluded.name,
    size_in_bytes = excluded.size_in_bytes,
    expired = excluded.expired,
    expires_at = excluded.expires_at;
