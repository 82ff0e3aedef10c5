-- Territoires: the official geography. Natural keys are the official codes.
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
    -- NULL when only a commune file without EPCI names mentioned it.
    nom   TEXT,
    -- DGCL nature: CC, CA, CU, METRO…
    nature TEXT,
    -- Member count per the EPCI file, including communes not loaded.
    communes_declared INTEGER
);

CREATE TABLE communes (
    code             TEXT PRIMARY KEY,
    nom              TEXT NOT NULL,
    search_key       TEXT NOT NULL,
    departement_code TEXT NOT NULL REFERENCES departements (code),
    epci_siren       TEXT REFERENCES epcis (siren),
    population       INTEGER,
    latitude         REAL,
    longitude        REAL
);
CREATE INDEX communes_departement ON communes (departement_code);
CREATE INDEX communes_epci ON communes (epci_siren);

CREATE TABLE commune_postcodes (
    commune_code TEXT NOT NULL REFERENCES communes (code),
    code_postal  TEXT NOT NULL,
    PRIMARY KEY (commune_code, code_postal)
);
CREATE INDEX commune_postcodes_code_postal ON commune_postcodes (code_postal);

-- One row per word start of a commune name (see passerelle_territory::search).
CREATE TABLE commune_search_keys (
    search_key   TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    position     INTEGER NOT NULL,
    PRIMARY KEY (search_key, commune_code, position)
) WITHOUT ROWID;
CREATE INDEX commune_search_keys_commune ON commune_search_keys (commune_code);

-- What was loaded into the reference, when, from which file.
CREATE TABLE reference_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
