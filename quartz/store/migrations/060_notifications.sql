-- Notifications (quartz/notify): each message is an intent written and committed (and, for an S3 store,
-- pushed) before it is sent, like a dispatch intent. An intent without an outcome after its cycle ended is
-- 'unknown': it may have gone out, so it is shown and never sent again.
CREATE TABLE notify_intents (
    key             VARCHAR PRIMARY KEY,  -- <channel>|<event>|<subject>|<transition>
    channel         VARCHAR NOT NULL,
    channel_type    VARCHAR NOT NULL,     -- slack | github_issues
    event           VARCHAR NOT NULL,     -- branch_red | branch_green | cascade_failed | ...
    subject         VARCHAR NOT NULL,     -- branch:<project>:<branch>:<workflow> | cascade:<id> | stage:<id>:<stage>
    transition      VARCHAR NOT NULL,     -- e.g. red@<run id>, failure, stuck@<attempt>
    title           VARCHAR NOT NULL,     -- one line for people (untrusted parts capped)
    detail          VARCHAR,              -- more lines: the failing run, the reason
    link            VARCHAR,              -- the run or cascade on GitHub / the dashboard
    project         VARCHAR,
    cascade         VARCHAR,
    cycle_id        VARCHAR NOT NULL,     -- the cycle that claimed it
    batch           VARCHAR,              -- the digest it went out in, when more than a handful fired at once
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    status          VARCHAR NOT NULL DEFAULT 'pending',  -- pending | sent | failed | unknown
    response_status INTEGER,
    error           VARCHAR,              -- never holds the webhook URL
    issue_url       VARCHAR               -- github_issues: the issue opened, commented on or closed
);

-- The last state told to each channel about each subject: a cycle compares the state at its end with this,
-- so a branch that went red, green and red again between two cycles gives one message, not three.
CREATE TABLE notify_state (
    channel         VARCHAR NOT NULL,
    subject         VARCHAR NOT NULL,
    state           VARCHAR NOT NULL,     -- red | green | failure | partial_failure | timed_out | stuck
    key             VARCHAR NOT NULL,     -- the intent that told it
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, subject)
);

-- When each channel was first configured: cascade runs that finished before that are history, not news.
CREATE TABLE notify_watch (
    channel         VARCHAR PRIMARY KEY,
    first_seen_at   TIMESTAMPTZ NOT NULL
);
