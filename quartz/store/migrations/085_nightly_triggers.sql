-- Cascades started by a nightly's leaf (quartz/cascades/nightly_trigger.py): one row per (cascade,
-- nightly), written in the transaction that creates the cascade run, so however many reports arrive
-- and however many cycles overlap, a nightly starts a cascade at most once. A nightly is its release
-- type and key (build date such as 20261205, or the prerelease version), whichever run owns it.
CREATE TABLE nightly_trigger_starts (
    cascade         VARCHAR NOT NULL,
    release_type    VARCHAR NOT NULL,     -- nightly | prerelease
    nightly_key     VARCHAR NOT NULL,     -- YYYYMMDD or X.Y.ZrcN
    cascade_run_id  VARCHAR NOT NULL,
    owner_run_id    BIGINT NOT NULL,      -- the release run that owned the document when it fired
    families        JSON NOT NULL,        -- the families that had passed
    fired_at        TIMESTAMPTZ NOT NULL, -- when the leaf was seen green (the cycle's clock)
    green_at        TIMESTAMPTZ,          -- when the leaf turned green (its completed_at)
    PRIMARY KEY (cascade, release_type, nightly_key)
);
