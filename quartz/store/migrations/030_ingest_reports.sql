-- Reports from TheRock's notify_quartz action (`quartz ingest`). One release run
-- reports once per reusable-workflow call it makes, under the run's own id, so a
-- row is one call ("unit": the reporting workflow file and a digest of its
-- inputs) of one run attempt. workflow_runs keeps the run as a whole.
CREATE TABLE ingest_reports (
    run_id              BIGINT NOT NULL,
    run_attempt         INTEGER NOT NULL,
    unit                VARCHAR NOT NULL,     -- <workflow file>:<inputs digest>
    repo                VARCHAR NOT NULL,
    event_type          VARCHAR NOT NULL,     -- workflow_run_completed | workflow_run_in_progress
    workflow_path       VARCHAR NOT NULL,     -- as reported: the calling workflow's path
    nested              BOOLEAN NOT NULL,     -- the path is a reusable workflow the run called
    workflow_id         BIGINT,
    name                VARCHAR,
    display_title       VARCHAR,
    event               VARCHAR,
    head_branch         VARCHAR,
    head_sha            VARCHAR,
    run_number          BIGINT,
    status              VARCHAR,
    conclusion          VARCHAR,
    html_url            VARCHAR,
    created_at          TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ,
    run_started_at      TIMESTAMPTZ,
    actor               VARCHAR,
    triggering_actor    VARCHAR,
    release_type        VARCHAR,              -- dev | nightly | prerelease | NULL
    inputs              JSON,
    captured_outputs    JSON,                 -- toJSON(needs) of the reporting job
    parent_run_id       BIGINT,
    referenced_workflows JSON,
    sender              VARCHAR,              -- who sent the report
    jobs_from           VARCHAR NOT NULL,     -- payload | api | none
    digest              VARCHAR NOT NULL,     -- sha256 of the canonical report: a resend is a no-op
    first_received_at   TIMESTAMPTZ NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, run_attempt, unit)
);
