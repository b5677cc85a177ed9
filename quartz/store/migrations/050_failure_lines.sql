-- Why each failed job failed: the extracted line of its log, never the log itself.
-- status: found (a rule matched) | none (log read, no rule matched) | expired (GitHub answered 410: the log
-- is past its retention) | missing (404: the log was never written or the job is gone).
CREATE TABLE failure_lines (
    job_id          BIGINT PRIMARY KEY,
    run_id          BIGINT NOT NULL,
    status          VARCHAR NOT NULL,
    line            VARCHAR,
    line_number     INTEGER,              -- 1-based, in the tail that was read
    context         JSON,                 -- up to 5 lines before the line
    rule            VARCHAR,
    key             VARCHAR,              -- grouping key: the rule and the line, normalised
    key_id          VARCHAR,              -- short hash of key, for URLs
    fetched_at      TIMESTAMPTZ NOT NULL
);
