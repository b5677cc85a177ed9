-- params: (none)
-- Every history file in the manifest, grouped for the read views.
SELECT table_name, project, month, rel_key, rows, bytes, sha256, created_at
FROM history_files
ORDER BY table_name, project, month, rel_key;
