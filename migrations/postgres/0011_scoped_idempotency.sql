-- Idempotency keys belong to whoever sent them (issue 12, L2). They were
-- unique across the whole instance: another structure's key silently
-- dropped a record and answered with the other structure's id. A key is
-- now unique per sender:
--   activities:       (structure, API token, mediator) — a token's keys are
--                     its own, a person's their own;
--   referrals:        (sending structure, sending person);
--   complex_requests: (requesting structure, requesting person).
--
-- SQLite cannot drop a UNIQUE column without rebuilding its table (and the
-- tables that reference it), so on both back-ends the old column is renamed
-- `idempotency_key_unscoped`, emptied, and left unused: its UNIQUE holds
-- only NULLs. The key moves to a new `idempotency_key` column.

ALTER TABLE activities RENAME COLUMN idempotency_key TO idempotency_key_unscoped;
ALTER TABLE activities ADD COLUMN idempotency_key TEXT;
-- The API token a record came through, if any: part of its key's scope.
ALTER TABLE activities ADD COLUMN token_id BIGINT REFERENCES api_tokens (id);
UPDATE activities SET idempotency_key = idempotency_key_unscoped, idempotency_key_unscoped = NULL
    WHERE idempotency_key_unscoped IS NOT NULL;
CREATE UNIQUE INDEX activities_idempotency ON activities
    (COALESCE(structure_id, 0), COALESCE(token_id, 0), COALESCE(mediator_id, 0), idempotency_key)
    WHERE idempotency_key IS NOT NULL;

ALTER TABLE referrals RENAME COLUMN idempotency_key TO idempotency_key_unscoped;
ALTER TABLE referrals ADD COLUMN idempotency_key TEXT;
UPDATE referrals SET idempotency_key = idempotency_key_unscoped, idempotency_key_unscoped = NULL
    WHERE idempotency_key_unscoped IS NOT NULL;
CREATE UNIQUE INDEX referrals_idempotency ON referrals
    (sender_structure_id, sender_person_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

ALTER TABLE complex_requests RENAME COLUMN idempotency_key TO idempotency_key_unscoped;
ALTER TABLE complex_requests ADD COLUMN idempotency_key TEXT;
UPDATE complex_requests SET idempotency_key = idempotency_key_unscoped, idempotency_key_unscoped = NULL
    WHERE idempotency_key_unscoped IS NOT NULL;
CREATE UNIQUE INDEX complex_requests_idempotency ON complex_requests
    (requester_structure_id, requester_person_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
