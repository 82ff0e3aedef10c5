-- Comptes (issue 19). Delivery by SMTP: a message that failed is tried
-- again from `next_attempt_at` (backoff), and given up at `failed_at`
-- (a refusal by the relay, or too many attempts), its reason in
-- `last_error`.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN failed_at TEXT;
