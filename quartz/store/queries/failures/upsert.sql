-- params: rows
INSERT INTO failure_lines (job_id, run_id, status, line, line_number, context, rule, key, key_id, fetched_at)
SELECT r.job_id::BIGINT, r.run_id::BIGINT, r.status::VARCHAR, r.line::VARCHAR, r.line_number::INTEGER,
       r.context::JSON, r.rule::VARCHAR, r.key::VARCHAR, r.key_id::VARCHAR, r.fetched_at::TIMESTAMPTZ
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (job_id) DO UPDATE SET
    status = excluded.status, line = excluded.line, line_number = excluded.line_number,
    context = excluded.context, rule = excluded.rule, key = excluded.key, key_id = excluded.key_id,
    fetched_at = excluded.fetched_at;
