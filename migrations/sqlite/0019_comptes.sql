-- Comptes (issue 19). Delivery by SMTP: a message that failed is tried
-- again from `next_attempt_at` (backoff), and given up at `failed_at`
-- (a refusal by the relay, or too many attempts), its reason in
-- `last_error`.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN failed_at TEXT;

-- Account lifecycle: the last sign-in (set when a session opens; the
-- account's creation stands for it until then), when a person was reminded
-- after 4 months without one, and when the account was deactivated after 6
-- (its records stay attributed; a gestionnaire reactivates it).
ALTER TABLE people ADD COLUMN last_sign_in_at TEXT;
ALTER TABLE people ADD COLUMN inactivity_reminded_at TEXT;
ALTER TABLE people ADD COLUMN deactivated_at TEXT;
