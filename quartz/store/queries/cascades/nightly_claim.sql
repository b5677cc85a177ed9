-- params: cascade, cascade_run_id, families, fired_at, green_at, nightly_key, owner_run_id, release_type
-- Claim (cascade, nightly) for one cascade run; nothing comes back when it was claimed before.
INSERT INTO nightly_trigger_starts (cascade, release_type, nightly_key, cascade_run_id, owner_run_id, families,
                                    fired_at, green_at)
VALUES ($cascade, $release_type, $nightly_key, $cascade_run_id, $owner_run_id, $families, $fired_at, $green_at)
ON CONFLICT DO NOTHING
RETURNING cascade_run_id;
