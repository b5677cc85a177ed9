-- params: cycle_id, error
-- The cycle's render or publish failed after its store was pushed.
UPDATE cycle_log SET render_status = 'failed', render_error = $error WHERE cycle_id = $cycle_id;
