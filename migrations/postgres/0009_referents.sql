-- Referents inside administrations: a directory, not public, of contacts
-- per organisation and territory, and "situation complexe" requests to an
-- organisation's referent group (the members of its structure), answered
-- in a thread. The person's fields (marked "personal") are erased like a
-- referral's.
CREATE TABLE referents (
    id              BIGSERIAL PRIMARY KEY,
    organisation    TEXT NOT NULL,
    -- "dep:29", "epci:<SIREN>", "com:<INSEE>" or "reg:53".
    territory       TEXT NOT NULL,
    -- The organisation's structure in Passerelle, if it has one: its
    -- members keep the entry up to date and answer requests.
    structure_id    BIGINT REFERENCES structures (id),
    name            TEXT NOT NULL,
    email           TEXT,
    phone           TEXT,
    scope           TEXT NOT NULL,
    updated_by      BIGINT NOT NULL REFERENCES people (id),
    updated_at      TEXT NOT NULL
);
CREATE INDEX referents_organisation ON referents (organisation, territory);

CREATE TABLE complex_requests (
    id                        BIGSERIAL PRIMARY KEY,
    requester_structure_id    BIGINT NOT NULL REFERENCES structures (id),
    requester_person_id       BIGINT NOT NULL REFERENCES people (id),
    organisation_structure_id BIGINT NOT NULL REFERENCES structures (id),
    subject                   TEXT NOT NULL,
    -- ouverte, close
    status                    TEXT NOT NULL,
    -- utile, pas_utile
    outcome                   TEXT,
    version                   BIGINT NOT NULL,
    idempotency_key           TEXT UNIQUE,
    created_at                TEXT NOT NULL,
    closed_at                 TEXT,
    erased_at                 TEXT,
    mandate_type              TEXT NOT NULL,
    mandate_date              TEXT NOT NULL,
    -- personal
    description               TEXT,
    person_details            TEXT
);
CREATE INDEX complex_requests_requester ON complex_requests (requester_structure_id, created_at);
CREATE INDEX complex_requests_organisation ON complex_requests (organisation_structure_id, created_at);

CREATE TABLE complex_request_messages (
    id          BIGSERIAL PRIMARY KEY,
    request_id  BIGINT NOT NULL REFERENCES complex_requests (id),
    at          TEXT NOT NULL,
    author_id   BIGINT REFERENCES people (id),
    side        TEXT NOT NULL,
    -- personal
    body        TEXT
);
CREATE INDEX complex_request_messages_request ON complex_request_messages (request_id, id);
