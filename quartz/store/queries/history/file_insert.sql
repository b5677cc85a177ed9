-- params: table_name, project, month, rel_key, rows, bytes, sha256, created_at
INSERT INTO history_files VALUES ($table_name, $project, $month, $rel_key, $rows, $bytes, $sha256, $created_at);
