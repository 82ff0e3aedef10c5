-- Réseau (issue 20): the regional hub's network animation. Every table
-- holding a person says what happens when the person's account goes:
-- their own choices (directory entry, networks, digest, training needs,
-- calendar link, "utile" marks) are deleted with it (ON DELETE CASCADE);
-- what others count on (a seat taken at an event, a shared resource, a
-- published opportunity) stays, without the person (ON DELETE SET NULL).
--
-- Locations are stored at every level (commune, EPCI, département,
-- région, each NULL when the record does not name it), filled from the
-- loaded reference when the record is written, so that a record is found
-- from any level and a coordinator's scope covers what lies inside it.

-- The directory: only those who chose to appear.
CREATE TABLE network_profiles (
    person_id        BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    job_title        TEXT NOT NULL,
    structure_id     BIGINT REFERENCES structures (id),
    commune_code     TEXT NOT NULL REFERENCES communes (code),
    epci_siren       TEXT,
    departement_code TEXT,
    region_code      TEXT,
    -- theme codes joined by '|'
    themes           TEXT NOT NULL,
    presentation     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX network_profiles_departement ON network_profiles (departement_code);

CREATE TABLE networks (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    -- ouvert, sur-demande
    joining     TEXT NOT NULL,
    created_by  BIGINT REFERENCES people (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE network_members (
    network_id BIGINT NOT NULL REFERENCES networks (id),
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- demande, membre, animateur
    role       TEXT NOT NULL,
    since      TEXT NOT NULL,
    PRIMARY KEY (network_id, person_id)
);
CREATE INDEX network_members_person ON network_members (person_id);

CREATE TABLE network_events (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT,
    themes           TEXT NOT NULL,
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    closes_at        TEXT NOT NULL,
    -- lieu, adresse, en-ligne
    venue            TEXT NOT NULL,
    place_id         BIGINT REFERENCES places (id),
    address          TEXT,
    link             TEXT,
    commune_code     TEXT REFERENCES communes (code),
    epci_siren       TEXT,
    departement_code TEXT,
    region_code      TEXT,
    -- ouvert, professionnels, reseau
    audience         TEXT NOT NULL,
    network_id       BIGINT REFERENCES networks (id),
    capacity         BIGINT,
    organiser_id     BIGINT REFERENCES people (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    sequence         BIGINT NOT NULL DEFAULT 0,
    cancelled_at     TEXT
);
CREATE INDEX network_events_starts ON network_events (starts_at);
CREATE INDEX network_events_network ON network_events (network_id, starts_at);

-- A seat, a place on the waiting list, or a withdrawal. The waiting list
-- is served in the order of `asked_at`.
CREATE TABLE network_registrations (
    id           BIGSERIAL PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES network_events (id),
    person_id    BIGINT REFERENCES people (id) ON DELETE SET NULL,
    -- inscrit, attente, annule
    status       TEXT NOT NULL,
    asked_at     TEXT NOT NULL,
    seated_at    TEXT,
    cancelled_at TEXT,
    reminded_at  TEXT,
    -- NULL: not taken; 1 present; 0 absent
    attended     BIGINT,
    UNIQUE (event_id, person_id)
);
CREATE INDEX network_registrations_event ON network_registrations (event_id, status, asked_at);
CREATE INDEX network_registrations_person ON network_registrations (person_id);

-- The ressourcerie. A file is kept in the database (every server of a
-- PostgreSQL instance reads the same), in its own table so that lists
-- never load it.
CREATE TABLE network_resources (
    id           BIGSERIAL PRIMARY KEY,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    search_key   TEXT NOT NULL,
    themes       TEXT NOT NULL,
    publics      TEXT NOT NULL,
    format       TEXT NOT NULL,
    licence      TEXT NOT NULL,
    -- public, membres
    visibility   TEXT NOT NULL,
    link         TEXT,
    file_name    TEXT,
    file_type    TEXT,
    file_size    BIGINT,
    author_id    BIGINT REFERENCES people (id) ON DELETE SET NULL,
    structure_id BIGINT REFERENCES structures (id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    hidden_at    TEXT,
    featured_at  TEXT
);
CREATE INDEX network_resources_created ON network_resources (created_at);

CREATE TABLE network_resource_files (
    resource_id BIGINT PRIMARY KEY REFERENCES network_resources (id) ON DELETE CASCADE,
    bytes       BYTEA NOT NULL
);

CREATE TABLE network_resource_marks (
    resource_id BIGINT NOT NULL REFERENCES network_resources (id) ON DELETE CASCADE,
    person_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    PRIMARY KEY (resource_id, person_id)
);

CREATE TABLE network_opportunities (
    id               BIGSERIAL PRIMARY KEY,
    -- financement, emploi, formation
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    organisation     TEXT NOT NULL,
    description      TEXT,
    themes           TEXT NOT NULL,
    -- the last day to apply (Paris), YYYY-MM-DD
    deadline         TEXT NOT NULL,
    link             TEXT,
    -- partout, territoire, commune, en-ligne
    reach            TEXT NOT NULL,
    commune_code     TEXT REFERENCES communes (code),
    epci_siren       TEXT,
    departement_code TEXT,
    region_code      TEXT,
    amount           BIGINT,
    contract         TEXT,
    starts_on        TEXT,
    ends_on          TEXT,
    certification    TEXT,
    author_id        BIGINT REFERENCES people (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    expired_at       TEXT,
    withdrawn_at     TEXT
);
CREATE INDEX network_opportunities_open ON network_opportunities (expired_at, deadline);
CREATE INDEX network_opportunities_created ON network_opportunities (created_at);

-- The weekly digest, for those who asked.
CREATE TABLE network_digests (
    person_id        BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    commune_code     TEXT,
    epci_siren       TEXT,
    departement_code TEXT,
    region_code      TEXT,
    themes           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    last_sent_at     TEXT
);

CREATE TABLE network_training_needs (
    id               BIGSERIAL PRIMARY KEY,
    person_id        BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    theme            TEXT NOT NULL,
    level            TEXT NOT NULL,
    commune_code     TEXT,
    epci_siren       TEXT,
    departement_code TEXT,
    region_code      TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX network_training_needs_person ON network_training_needs (person_id);

-- A person's calendar link: the SHA-256 of its secret only.
CREATE TABLE network_calendar_tokens (
    person_id  BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- The contact relay's rate limit counts a sender's messages in the trail.
CREATE INDEX audit_events_action_actor ON audit_events (action, actor_person_id, at);
