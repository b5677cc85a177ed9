-- The core tables. Later changes come as new numbered files, never edits here.
-- Only keys get indexes: DuckDB's zone maps serve range scans, and every ART
-- index costs insert time and store size (the file travels to S3 each cycle).

-- Projects as last seen in cascades.yaml (the config is the source of truth).
CREATE TABLE projects (
    name            VARCHAR PRIMARY KEY,
    repo            VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,
    display_name    VARCHAR,
    default_branch  VARCHAR,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE workflows (
    repo            VARCHAR NOT NULL,
    workflow_id     BIGINT NOT NULL,
    path            VARCHAR NOT NULL,     -- .github/workflows/<file>
    name            VARCHAR,
    state           VARCHAR,
    PRIMARY KEY (repo, workflow_id)
);

-- One row per run, holding its latest attempt; earlier attempts live in run_attempts.
CREATE TABLE workflow_runs (
    run_id          BIGINT PRIMARY KEY,
    repo            VARCHAR NOT NULL,
    project         VARCHAR,              -- NULL for runs of repos no longer configured
    workflow_id     BIGINT,
    workflow_path   VARCHAR,              -- file name, e.g. rocm-build.yml
    name            VARCHAR,
    display_title   VARCHAR,
    event           VARCHAR,
    head_branch     VARCHAR,
    head_sha        VARCHAR,
    head_commit_message VARCHAR,
    run_number      BIGINT,
    run_attempt     INTEGER NOT NULL DEFAULT 1,
    status          VARCHAR,              -- queued | in_progress | completed | ...
    conclusion      VARCHAR,              -- success | failure | ... | NULL while running
    actor           VARCHAR,
    created_at      TIMESTAMPTZ,
    run_started_at  TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ,
    html_url        VARCHAR,
    source          VARCHAR NOT NULL DEFAULT 'sync',  -- sync | ingest | dispatch
    inputs          JSON,                 -- workflow_dispatch inputs when known
    jobs_synced_attempt INTEGER,          -- attempt whose jobs are stored complete
    artifacts_synced BOOLEAN NOT NULL DEFAULT FALSE,
    fetched_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE run_attempts (
    run_id          BIGINT NOT NULL,
    run_attempt     INTEGER NOT NULL,
    status          VARCHAR,
    conclusion      VARCHAR,
    created_at      TIMESTAMPTZ,
    run_started_at  TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ,
    PRIMARY KEY (run_id, run_attempt)
);

CREATE TABLE jobs (
    job_id          BIGINT PRIMARY KEY,
    run_id          BIGINT NOT NULL,
    run_attempt     INTEGER NOT NULL,
    name            VARCHAR NOT NULL,
    status          VARCHAR,
    conclusion      VARCHAR,
    created_at      TIMESTAMPTZ,
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    runner_name     VARCHAR,
    labels          JSON,
    html_url        VARCHAR
);

CREATE TABLE artifacts (
    artifact_id     BIGINT PRIMARY KEY,
    run_id          BIGINT NOT NULL,
    name            VARCHAR NOT NULL,
    size_in_bytes   BIGINT,
    expired         BOOLEAN,
    created_at      TIMESTAMPTZ,
    expires_at      TIMESTAMPTZ,
    archive_download_url VARCHAR
);

-- A cascade run: one pass of a cascade's DAG for one trigger.
CREATE TABLE cascade_runs (
    cascade_run_id  VARCHAR PRIMARY KEY,  -- e.g. nightly-20261129-0412-a1b2
    cascade         VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,     -- running | success | partial_failure | failure | cancelled
    trigger_kind    VARCHAR NOT NULL,     -- auto | manual
    trigger_run_id  BIGINT,               -- the upstream run that started it (auto)
    trigger_repo    VARCHAR,
    trigger_sha     VARCHAR,
    ref             VARCHAR,
    params          JSON,
    upstream        JSON,                 -- results of the trigger run, for templates
    reason          VARCHAR,
    created_by      VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
-- One automatic cascade run per upstream run, however many cycles see it.
CREATE UNIQUE INDEX cascade_runs_one_per_trigger ON cascade_runs (cascade, trigger_run_id);

CREATE TABLE cascade_stages (
    cascade_run_id  VARCHAR NOT NULL,
    stage           VARCHAR NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 0,   -- 0 until first dispatched
    status          VARCHAR NOT NULL,     -- pending | dispatched | running | success | failure | cancelled | timed_out | skipped
    reason          VARCHAR,
    correlation_id  VARCHAR,
    run_id          BIGINT,
    repo            VARCHAR,
    dispatched_at   TIMESTAMPTZ,
    started_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cascade_run_id, stage)
);

-- Written before a dispatch is sent; the correlation id finds the run afterwards.
CREATE TABLE dispatch_intents (
    correlation_id  VARCHAR PRIMARY KEY,  -- <cascade run>.<stage>.<attempt>
    cascade_run_id  VARCHAR NOT NULL,
    stage           VARCHAR NOT NULL,
    attempt         INTEGER NOT NULL,
    repo            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,     -- workflow_dispatch | repository_dispatch
    target          VARCHAR NOT NULL,     -- workflow file or event type
    ref             VARCHAR,
    payload         JSON,                 -- inputs or client_payload as sent
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    outcome         VARCHAR,              -- sent | failed | unknown (5xx/timeout: look, never resend)
    response_status INTEGER,
    run_id          BIGINT,
    error           VARCHAR
);

CREATE SEQUENCE cascade_event_seq;
CREATE TABLE cascade_events (
    seq             BIGINT PRIMARY KEY DEFAULT nextval('cascade_event_seq'),
    cascade_run_id  VARCHAR NOT NULL,
    stage           VARCHAR,
    occurred_at     TIMESTAMPTZ NOT NULL,
    kind            VARCHAR NOT NULL,     -- started | dispatched | linked | running | finished | skipped | timed_out | ...
    message         VARCHAR NOT NULL
);

-- Sync bookkeeping per scope (e.g. 'runs:ROCm/pytorch:rocm-build.yml'): watermarks and ETags.
CREATE TABLE sync_state (
    scope           VARCHAR PRIMARY KEY,
    watermark       TIMESTAMPTZ,          -- newest created_at fully synced
    backfilled_from TIMESTAMPTZ,          -- oldest created_at covered by backfill
    etag            VARCHAR,
    last_synced_at  TIMESTAMPTZ,
    last_error      VARCHAR
);

CREATE TABLE http_cache (
    url             VARCHAR PRIMARY KEY,  -- without the token, always
    etag            VARCHAR NOT NULL,
    body            JSON,
    fetched_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE cycle_log (
    cycle_id        VARCHAR PRIMARY KEY,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL,     -- running | ok | failed | partial
    phase           VARCHAR,              -- last phase reached
    requests        INTEGER DEFAULT 0,
    rate_points     INTEGER DEFAULT 0,
    runs_seen       INTEGER DEFAULT 0,
    stages_dispatched INTEGER DEFAULT 0,
    cascades_finished INTEGER DEFAULT 0,
    error           VARCHAR,
    summary         JSON
);
