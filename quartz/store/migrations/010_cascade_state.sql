-- Cascade engine state beyond 001: which run attempt a stage's result came from
-- (a run re-run by hand re-opens its stage), the run's link, the last commit
-- status reported, and an optimistic version so two advances never both apply
-- the same step.
ALTER TABLE cascade_stages ADD COLUMN run_attempt INTEGER;
ALTER TABLE cascade_stages ADD COLUMN run_url VARCHAR;
ALTER TABLE cascade_stages ADD COLUMN reported_state VARCHAR;
ALTER TABLE cascade_runs ADD COLUMN version INTEGER DEFAULT 0;
ALTER TABLE cascade_runs ADD COLUMN trigger_project VARCHAR;

-- When Quartz first saw each cascade: upstream runs that completed long before
-- that never start it (enabling a cascade does not replay history).
CREATE TABLE cascade_watch (
    cascade         VARCHAR PRIMARY KEY,
    first_seen_at   TIMESTAMPTZ NOT NULL
);
