-- params: (none)
SELECT channel, subject, state, key FROM notify_state;
