-- params: run_id
-- The release run that owns a nightly: where its cascade runs point (repo, commit, link).
SELECT repo, head_sha, html_url FROM workflow_runs WHERE run_id = $run_id;
