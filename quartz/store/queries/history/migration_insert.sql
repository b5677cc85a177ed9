-- params: migrated_at, runs_moved, bytes_before
INSERT INTO history_migrations VALUES ($migrated_at, $runs_moved, $bytes_before);
