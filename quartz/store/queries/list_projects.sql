SELECT name, repo, category, display_name, default_branch, updated_at
FROM projects
ORDER BY category, name;
