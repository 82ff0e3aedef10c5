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

-- Notifications each person chooses: per topic (a code of
-- accounts::notification::Topic), immediately, daily or never; no row means
-- the topic's default. A message for the daily digest waits in the outbox
-- with `digest` = 1 until the day's digest (one message) takes it in
-- (`digested_into`).
CREATE TABLE notification_preferences (
    person_id INTEGER NOT NULL REFERENCES people (id),
    topic     TEXT NOT NULL,
    frequency TEXT NOT NULL,
    PRIMARY KEY (person_id, topic)
);
ALTER TABLE outbox ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN digested_into INTEGER;
