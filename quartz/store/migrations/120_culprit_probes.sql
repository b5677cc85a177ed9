-- Culprit probes (issue 28): a failed stage dispatched again with some upstreams put back to the cascade's
-- last good run. Apart from cascade_stages, so a probe never changes its cascade's status or known good.
CREATE TABLE culprit_searches (
    cascade_run_id  VARCHAR NOT NULL,
    stage           VARCHAR NOT NULL,
    cascade         VARCHAR NOT NULL,
    last_good_id    VARCHAR,              -- the newest earlier run of the cascade that passed
    changed         JSON,                 -- upstream names whose values the stage reads moved since then
    status          VARCHAR NOT NULL,     -- searching | done | skipped (not probed: `verdict` says why)
    verdict_kind    VARCHAR,              -- broken_by | flaky | needs_both | inconclusive
    verdict         VARCHAR,              -- the words a person acts on
    culprits        JSON,                 -- the upstream names blamed
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    PRIMARY KEY (cascade_run_id, stage)
);

-- One row per probe, written and committed (and pushed, for an S3 store) before its one POST: the primary
-- key refuses a second intent, so a probe is dispatched at most once.
CREATE TABLE culprit_probes (
    correlation_id  VARCHAR PRIMARY KEY,  -- <cascade run>.<stage>.p<seq>
    cascade_run_id  VARCHAR NOT NULL,
    stage           VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,
    put_back        JSON NOT NULL,        -- upstream names put back to last good; [] re-runs as it was
    status          VARCHAR NOT NULL,     -- dispatched | running | success | failure | cancelled | timed_out | refused
    reason          VARCHAR,
    repo            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,     -- workflow_dispatch | repository_dispatch
    target          VARCHAR NOT NULL,
    ref             VARCHAR,
    payload         JSON,                 -- inputs or client_payload as sent
    dispatched_at   TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    outcome         VARCHAR,              -- sent | failed | unknown | limited (NULL: not confirmed)
    response_status INTEGER,
    error           VARCHAR,
    run_id          BIGINT,
    run_url         VARCHAR,
    started_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
