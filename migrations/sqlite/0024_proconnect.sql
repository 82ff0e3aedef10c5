-- ProConnect (OpenID Connect), issue 19 §1.
--
-- An identity at a provider: the provider's `iss` and the person's `sub`
-- there, linked to a person. Later sign-ins match on (issuer, subject),
-- whatever the e-mail address has become.
CREATE TABLE oidc_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_person ON oidc_identities (person_id);

-- A sign-in sent to the provider and not back yet: the SHA-256 of its
-- `state`, the `nonce` the ID token must carry and the PKCE verifier, used
-- once (deleted when the provider answers) and only until `expires_at`.
-- In the database so that any server behind a load balancer can take the
-- answer.
CREATE TABLE oidc_pending (
    state_hash    TEXT PRIMARY KEY,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);

-- The ID token a session was opened with, sent back to the provider as
-- `id_token_hint` when the person signs out.
ALTER TABLE sessions ADD COLUMN id_token TEXT;

-- A person who signed in through ProConnect for the first time, with the
-- SIRET of a structure: the structure's gestionnaires decide (no role is
-- given until one of them accepts). `decided_at` and `accepted` once
-- decided, by `decided_by`.
CREATE TABLE membership_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    created_at   TEXT NOT NULL,
    decided_at   TEXT,
    decided_by   INTEGER REFERENCES people (id),
    accepted     INTEGER
);
CREATE UNIQUE INDEX membership_requests_pending ON membership_requests (person_id, structure_id) WHERE decided_at IS NULL;
CREATE INDEX membership_requests_structure ON membership_requests (structure_id);
