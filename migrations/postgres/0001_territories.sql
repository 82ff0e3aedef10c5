-- Territoires: the official geography. Natural keys are the official codes.
-- Same schema as migrations/sqlite; keys compared with the "C" collation so
-- that prefix range scans behave as on SQLite (byte order).
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    nom  TEXT NOT NULL
);

CREATE TABLE departements (
    code        TEXT PRIMARY KEY,
    nom         TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code)
);

CREATE TABLE epcis (
    siren TEXT PRIMARY KEY,
    nom   TEXT,
    nature TEXT,
    communes_declared BIGINT
);

CREATE TABLE communes (
    code             TEXT PRIMARY KEY,
    nom              TEXT NOT NULL,
    search_key       TEXT COLLATE "C" NOT NULL,
    departement_code TEXT NOT NULL REFERENCES departements (code),
    epci_siren       TEXT REFERENCES epcis (siren),
    population       BIGINT,
    latitude         DOUBLE PRECISION,
    longitude        DOUBLE PRECISION
);
CREATE INDEX communes_departement ON communes (departement_code);
CREATE INDEX communes_epci ON communes (epci_siren);

CREATE TABLE commune_postcodes (
    commune_code TEXT NOT NULL REFERENCES communes (code),
    code_postal  TEXT NOT NULL,
    PRIMARY KEY (commune_code, code_postal)
);
CREATE INDEX commune_postcodes_code_postal ON commune_postcodes (code_postal);

CREATE TABLE commune_search_keys (
    search_key   TEXT COLLATE "C" NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    position     BIGINT NOT NULL,
    PRIMARY KEY (search_key, commune_code, position)
);
CREATE INDEX commune_search_keys_commune ON commune_search_keys (commune_code);

CREATE TABLE reference_imports (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    imported_at TEXT NOT NULL
);
