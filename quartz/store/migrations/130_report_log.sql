-- Every release report as it arrived, with the job list it carried (or the one fetched for it): ROCm/Quartz
-- folds each report into status.json in arrival order from its own snapshot, and so must we to stay level.
-- ingest_reports keeps only the newest report per call; this keeps them all.
CREATE TABLE ingest_report_log (
    seq                 BIGINT PRIMARY KEY,   -- arrival order
    run_id              BIGINT NOT NULL,
    run_attempt         INTEGER NOT NULL,
    unit                VARCHAR NOT NULL,
    digest              VARCHAR NOT NULL,
    repo                VARCHAR NOT NULL,
    event_type          VARCHAR NOT NULL,
    workflow_path       VARCHAR NOT NULL,
    status              VARCHAR,
    conclusion          VARCHAR,
    created_at          TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ,
    run_started_at      TIMESTAMPTZ,
    release_type        VARCHAR,
    inputs              JSON,
    captured_outputs    JSON,
    parent_run_id       BIGINT,
    jobs                JSON,                 -- [{name, conclusion, started_at, completed_at}] as the report had them
    received_at         TIMESTAMPTZ NOT NULL
);

-- Reports stored before this table: each as it stands now, with its run attempt's stored jobs.
INSERT INTO ingest_report_log
SELECT row_number() OVER (ORDER BY r.first_received_at, r.run_id, r.run_attempt, r.unit),
       r.run_id, r.run_attempt, r.unit, r.digest, r.repo, r.event_type, r.workflow_path, r.status, r.conclusion,
       r.created_at, r.updated_at, r.run_started_at, r.release_type, r.inputs, r.captured_outputs, r.parent_run_id,
       (SELECT to_json(list({'name': j.name, 'conclusion': j.conclusion, 'started_at': j.started_at,
                             'completed_at': j.completed_at} ORDER BY j.job_id))
        FROM jobs j WHERE j.run_id = r.run_id AND j.run_attempt = r.run_attempt),
       r.first_received_at
FROM ingest_reports r
WHERE r.release_type IN ('nightly', 'prerelease');
