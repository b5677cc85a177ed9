-- When the upstream signal a stage's dispatch waited for was complete (a run's completion, or the jobs a
-- job-level trigger or stage names), and what it was: dispatch latency is measured from it, honestly.
ALTER TABLE cascade_stages ADD COLUMN signal_at TIMESTAMPTZ;
ALTER TABLE cascade_stages ADD COLUMN signal VARCHAR;
