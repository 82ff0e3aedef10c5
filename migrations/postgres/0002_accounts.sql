-- Comptes: structures, people, roles, credentials, sessions, one-time tokens,
-- API tokens, the audit trail and the e-mail outbox. Times are ISO 8601 UTC
-- text; secrets (session, one-time and API tokens) are stored as SHA-256
-- hashes only.

CREATE TABLE structures (
    id           BIGSERIAL PRIMARY KEY,
    nom          TEXT NOT NULL,
    search_key   TEXT COLLATE "C" NOT NULL,
    kind         TEXT NOT NULL,
    siret        TEXT UNIQUE,
    commune_code TEXT REFERENCES communes (code),
    created_at   TEXT NOT NULL
);
CREATE INDEX structures_search_key ON structures (search_key);

-- Identity only: how a person proves it is separate (password_credentials
-- today, an OpenID Connect subject such as ProConnect's tomorrow).
CREATE TABLE people (
    id           BIGSERIAL PRIMARY KEY,
    email        TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE password_credentials (
    person_id  BIGINT PRIMARY KEY REFERENCES people (id),
    hash       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A role in a structure. Ending a membership keeps the row (records stay
-- attributed) and ends the access it gave.
CREATE TABLE memberships (
    id           BIGSERIAL PRIMARY KEY,
    person_id    BIGINT NOT NULL REFERENCES people (id),
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    role         TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT
);
CREATE UNIQUE INDEX memberships_active ON memberships (person_id, structure_id) WHERE ended_at IS NULL;
CREATE INDEX memberships_structure ON memberships (structure_id);

-- Territories a coordinator's membership covers.
CREATE TABLE coordination_scopes (
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    level         TEXT NOT NULL,
    code          TEXT NOT NULL,
    PRIMARY KEY (membership_id, level, code)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    person_id    BIGINT NOT NULL REFERENCES people (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);

-- Invitations and password resets: single use, expiring.
CREATE TABLE one_time_tokens (
    token_hash   TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL,
    email        TEXT NOT NULL,
    person_id    BIGINT REFERENCES people (id),
    structure_id BIGINT REFERENCES structures (id),
    role         TEXT,
    scopes       TEXT,
    created_by   BIGINT REFERENCES people (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   BIGINT NOT NULL REFERENCES people (id),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE audit_events (
    id              BIGSERIAL PRIMARY KEY,
    at              TEXT NOT NULL,
    action          TEXT NOT NULL,
    actor_person_id BIGINT,
    actor_token_id  BIGINT,
    structure_id    BIGINT,
    subject         TEXT,
    detail          TEXT,
    ip              TEXT
);
CREATE INDEX audit_events_action_subject ON audit_events (action, subject, at);
CREATE INDEX audit_events_action_ip ON audit_events (action, ip, at);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    attempts   BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
