-- params: (none)
SELECT channel, first_seen_at FROM notify_watch;
