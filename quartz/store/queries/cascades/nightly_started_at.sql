-- params: cascade
-- When a cascade's newest nightly start fired, and when the leaf it watched had turned green.
SELECT nightly_key, fired_at, green_at FROM nightly_trigger_starts WHERE cascade = $cascade
ORDER BY fired_at DESC LIMIT 1;
