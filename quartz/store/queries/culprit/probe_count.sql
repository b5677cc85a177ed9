-- params: (none)
-- Probes dispatched, every cascade run.
SELECT count(*) AS probes FROM culprit_probes;
