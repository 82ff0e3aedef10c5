-- Browsers where a person signed in successfully (OWASP "device cookies"):
-- failed sign-ins by others never slow them down. The cookie's secret is
-- stored as its SHA-256 only; `failures` counts wrong passwords typed on
-- that browser since its last success.
CREATE TABLE trusted_devices (
    token_hash   TEXT PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX trusted_devices_person ON trusted_devices (person_id);
