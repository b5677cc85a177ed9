-- Completed history moved out of the store into Parquet files (quartz/store/history/): one row per file,
-- written once and never changed. A file not listed here is not part of the history (an orphan of a
-- crashed archive) and is never read. `rel_key` is relative to the history root beside the store:
-- <folder>/project=<p>/month=<YYYY-MM>/<uuid>.parquet.
CREATE TABLE history_files (
    table_name      VARCHAR NOT NULL,     -- the store table the rows came from (workflow_runs, jobs, ...)
    project         VARCHAR NOT NULL,     -- partition: the run's project ('_none' for unconfigured repos)
    month           VARCHAR NOT NULL,     -- partition: YYYY-MM of the run's created_at (UTC)
    rel_key         VARCHAR PRIMARY KEY,
    rows            BIGINT NOT NULL,
    bytes           BIGINT NOT NULL,
    sha256          VARCHAR NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

-- One row once a store was migrated to the hot/cold layout, so `quartz archive --migrate` runs once.
CREATE TABLE history_migrations (
    migrated_at     TIMESTAMPTZ NOT NULL,
    runs_moved      BIGINT NOT NULL,
    bytes_before    BIGINT NOT NULL       -- the store file's size before
);

-- Every run moved to the history, so sync never takes a run it lists again (a quiet workflow's first page
-- reaches back past the hot window) for a new one. Sorted ids compress to a few bits each; no index.
CREATE TABLE history_runs (
    run_id          BIGINT NOT NULL
);
