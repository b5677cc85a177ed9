-- params: (none)
SELECT cascade, first_seen_at FROM cascade_watch;
