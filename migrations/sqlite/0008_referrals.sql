-- Orientations. A referral keeps its follow-up for statistics forever; the
-- person's fields (marked "personal") are set to NULL when it is erased,
-- 6 months after closure by default, or on request (right to erasure).
CREATE TABLE referrals (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_structure_id    INTEGER NOT NULL REFERENCES structures (id),
    sender_person_id       INTEGER NOT NULL REFERENCES people (id),
    receiver_structure_id  INTEGER NOT NULL REFERENCES structures (id),
    place_id               INTEGER REFERENCES places (id),
    service                TEXT NOT NULL,
    organisation           TEXT,
    urgency                TEXT NOT NULL,
    status                 TEXT NOT NULL,
    -- Optimistic concurrency: every change sets version = version + 1 where
    -- version is the one the changer saw.
    version                INTEGER NOT NULL,
    idempotency_key        TEXT UNIQUE,
    created_at             TEXT NOT NULL,
    first_action_at        TEXT,
    last_action_at         TEXT NOT NULL,
    reminded_at            TEXT,
    closed_at              TEXT,
    erased_at              TEXT,
    appointment_date       TEXT,
    refusal_reason         TEXT,
    activity_id            INTEGER REFERENCES activities (id),
    consent_by             INTEGER NOT NULL REFERENCES people (id),
    consent_at             TEXT NOT NULL,
    consent_how            TEXT NOT NULL,
    -- personal
    person_first_name      TEXT,
    person_channel         TEXT,
    person_contact         TEXT,
    person_caf_number      TEXT,
    person_ft_number       TEXT,
    situation              TEXT,
    availability           TEXT
);
CREATE INDEX referrals_sender ON referrals (sender_structure_id, created_at);
CREATE INDEX referrals_receiver ON referrals (receiver_structure_id, created_at);
CREATE INDEX referrals_open ON referrals (status, last_action_at);

-- Every step, timestamped and attributed; shown to both structures.
CREATE TABLE referral_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    referral_id     INTEGER NOT NULL REFERENCES referrals (id),
    at              TEXT NOT NULL,
    actor_person_id INTEGER REFERENCES people (id),
    side            TEXT NOT NULL,
    step            TEXT NOT NULL,
    status_from     TEXT,
    status_to       TEXT NOT NULL,
    -- Not personal: an appointment date, a refusal reason, a place.
    detail          TEXT,
    -- personal: a message between the two structures
    message         TEXT
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
