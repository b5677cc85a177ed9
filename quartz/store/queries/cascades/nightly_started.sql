-- params: cascades
-- The nightlies each of these cascades has already started on (they are never looked at again).
SELECT cascade, release_type, nightly_key FROM nightly_trigger_starts WHERE list_contains($cascades, cascade);
