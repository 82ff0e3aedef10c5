-- Lieux: help places in the national standard. The full record is kept as
-- the standard's JSON (`data`); the columns beside it are what searches and
-- joins need. A place may be described by several sources: `place_sources`
-- maps each (source, id in that source) to the one place, so re-importing a
-- source updates, never duplicates.
CREATE TABLE places (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    data         TEXT NOT NULL,
    nom          TEXT NOT NULL,
    search_key   TEXT NOT NULL,
    code_postal  TEXT NOT NULL,
    commune_code TEXT REFERENCES communes (code),
    latitude     REAL,
    longitude    REAL,
    date_maj     TEXT NOT NULL,
    structure_id INTEGER REFERENCES structures (id),
    updated_at   TEXT NOT NULL
);
CREATE INDEX places_commune ON places (commune_code);
CREATE INDEX places_code_postal ON places (code_postal);

CREATE TABLE place_sources (
    source    TEXT NOT NULL,
    source_id TEXT NOT NULL,
    place_id  INTEGER NOT NULL REFERENCES places (id),
    PRIMARY KEY (source, source_id)
);
CREATE INDEX place_sources_place ON place_sources (place_id);

-- Who changed a place, when, how.
CREATE TABLE place_changes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    place_id        INTEGER NOT NULL REFERENCES places (id),
    at              TEXT NOT NULL,
    actor_person_id INTEGER REFERENCES people (id),
    origin          TEXT NOT NULL,
    summary         TEXT NOT NULL
);
CREATE INDEX place_changes_place ON place_changes (place_id);

-- Pairs that may be the same place, awaiting a coordinator's decision.
CREATE TABLE place_duplicates (
    place_a    INTEGER NOT NULL REFERENCES places (id),
    place_b    INTEGER NOT NULL REFERENCES places (id),
    score      REAL NOT NULL,
    status     TEXT NOT NULL,
    decided_by INTEGER REFERENCES people (id),
    decided_at TEXT,
    PRIMARY KEY (place_a, place_b)
);
