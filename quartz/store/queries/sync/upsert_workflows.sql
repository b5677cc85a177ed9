-- params: rows
INSERT INTO workflows (repo, workflow_id, path, name, state)
SELECT r.repo::VARCHAR, r.workflow_id::BIGINT, r.path::VARCHAR, r.name::VARCHAR, r.state::VARCHAR
FROM (SELECT unnest($rows) AS r)
ON CONFLICT (repo, workflow_id) DO UPDATE SET
    path = excluded.path,
    name = excluded.name,
    state = COALESCE(excluded.state, workflows.state);
