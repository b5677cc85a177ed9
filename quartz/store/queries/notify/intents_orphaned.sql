-- params: cycle_id
-- Intents an earlier cycle claimed but never recorded an answer for: it stopped between the claim and the
-- record, perhaps after the message went out. Shown as unknown; never sent again.
UPDATE notify_intents
SET status = 'unknown', error = 'the cycle that claimed it stopped before recording an answer; it may have been sent'
WHERE status = 'pending' AND cycle_id <> $cycle_id
RETURNING key;
