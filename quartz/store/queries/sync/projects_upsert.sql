-- params: projects
-- Record every project as configured in cascades.yaml, in one statement ($projects: a list of structs
-- name, repo, category, display_name, default_branch, updated_at); an unchanged project is not written
-- (so a quiet cycle changes nothing a render reads).
INSERT INTO projects (name, repo, category, display_name, default_branch, updated_at)
SELECT name, repo, category, display_name, default_branch, updated_at
FROM (SELECT unnest($projects, recursive := true))
ON CONFLICT (name) DO UPDATE SET
    repo = excluded.repo,
    category = excluded.category,
    display_name = excluded.display_name,
    default_branch = excluded.default_branch,
    updated_at = excluded.updated_at
WHERE (projects.repo, projects.category, projects.display_name, projects.default_branch)
    IS DISTINCT FROM (excluded.repo, excluded.category, excluded.display_name, excluded.default_branch);
