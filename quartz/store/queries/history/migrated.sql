-- params: (none)
SELECT migrated_at, runs_moved FROM history_migrations ORDER BY migrated_at LIMIT 1;
