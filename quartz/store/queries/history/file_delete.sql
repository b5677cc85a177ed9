-- params: rel_key
DELETE FROM history_files WHERE rel_key = $rel_key;
