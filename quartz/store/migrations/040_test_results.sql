-- Test results read from runs' JUnit artifacts (quartz/sync/testreports.py).
-- Sized for a year of 20 projects x 30 runs/day x 50,000 cases: plain passes are never stored one by one;
-- they live in the per-suite counts. Cases are kept only when they did not plainly pass (failed, error,
-- or passed after reruns), at most MAX_CASES_PER_RUN per run attempt; the daily aggregate has rows only
-- for tests that failed or reran that day. No indexes beyond keys (see 001_core.sql).

-- One row per artifact read (or refused, or expired), so a run is read once. A run attempt with no
-- matching artifact gets one marker row with status 'none' and artifact_id = -run_attempt.
CREATE TABLE test_reports (
    run_id          BIGINT NOT NULL,
    artifact_id     BIGINT NOT NULL,
    run_attempt     INTEGER NOT NULL,     -- the run's attempt when this row was written
    artifact        VARCHAR,              -- artifact name
    status          VARCHAR NOT NULL,     -- parsed | refused | expired | none
    reason          VARCHAR,              -- why refused/expired; files refused inside a parsed artifact
    cases           INTEGER,              -- cases read from the artifact
    parsed_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, artifact_id)
);

-- The design's test_results: per run attempt and suite.
CREATE TABLE test_suites (
    run_id          BIGINT NOT NULL,
    run_attempt     INTEGER NOT NULL,     -- the attempt that made the artifact
    artifact        VARCHAR NOT NULL,
    variant         VARCHAR NOT NULL,     -- artifact name + report folder: the job/config the suite ran in
    source          VARCHAR NOT NULL,     -- the report file inside the artifact
    suite           VARCHAR NOT NULL,
    passed          INTEGER NOT NULL,
    failed          INTEGER NOT NULL,
    skipped         INTEGER NOT NULL,
    errors          INTEGER NOT NULL,
    time_s          DOUBLE
);

-- Cases that did not plainly pass: failed, error, or passed after reruns.
CREATE TABLE test_cases (
    run_id          BIGINT NOT NULL,
    run_attempt     INTEGER NOT NULL,
    variant         VARCHAR NOT NULL,
    suite           VARCHAR NOT NULL,
    classname       VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    outcome         VARCHAR NOT NULL,     -- failed | error | passed (with reruns > 0)
    reruns          INTEGER NOT NULL,
    message         VARCHAR               -- first lines, capped
);

-- Per test, branch and day: how often it failed or reran (only tests that did, that day).
CREATE TABLE test_daily (
    project         VARCHAR NOT NULL,
    branch          VARCHAR NOT NULL,
    day             DATE NOT NULL,
    variant         VARCHAR NOT NULL,
    suite           VARCHAR NOT NULL,
    classname       VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    failures        INTEGER NOT NULL,
    reruns          INTEGER NOT NULL,
    PRIMARY KEY (project, branch, day, variant, suite, classname, name)
);

-- Per variant, branch and day: how many run attempts reported it (the runs a test_daily row is out of).
CREATE TABLE test_daily_runs (
    project         VARCHAR NOT NULL,
    branch          VARCHAR NOT NULL,
    day             DATE NOT NULL,
    variant         VARCHAR NOT NULL,
    runs            INTEGER NOT NULL,
    PRIMARY KEY (project, branch, day, variant)
);
