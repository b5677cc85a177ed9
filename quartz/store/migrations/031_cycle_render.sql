-- The render and publish run after the store is pushed, so their outcome is recorded only when they
-- fail (the cycle then pushes once more): NULL means "not known to have failed".
ALTER TABLE cycle_log ADD COLUMN render_status VARCHAR;   -- NULL | failed
ALTER TABLE cycle_log ADD COLUMN render_error VARCHAR;    -- "render: <why>" or "publish: <why>"
