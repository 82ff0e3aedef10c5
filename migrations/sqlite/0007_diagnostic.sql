-- Diagnostic: figures imported from official files (INSEE census, CAF,
-- France Travail), one row per commune and indicator
-- (passerelle_diagnostic::import::Field keys: pop_65_plus, no_diploma,
-- minima_sociaux:RSA…). NULL: the file lists the commune without the figure
-- (not published). The bundled indicators are not stored: they are compiled
-- in.
CREATE TABLE diagnostic_indicators (
    commune_code TEXT NOT NULL REFERENCES communes (code),
    indicator    TEXT NOT NULL,
    value        REAL,
    PRIMARY KEY (commune_code, indicator)
);

-- What was imported, when, from which file (the latest per indicator is the
-- source the portrait cites).
CREATE TABLE diagnostic_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    file        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    -- Comma-separated indicator keys the file gave.
    indicators  TEXT NOT NULL,
    vintage     TEXT,
    communes    INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
