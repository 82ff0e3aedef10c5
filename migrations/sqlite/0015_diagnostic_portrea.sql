-- Diagnostic, PORTREA as its users run it: every imported figure cites the
-- import it came from and how many of its parts (IRIS, cells) were under
-- statistical secrecy (its value is then the sum of the published parts);
-- figures per IRIS; and the public finder's anonymous search counters.

ALTER TABLE diagnostic_indicators ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;
ALTER TABLE diagnostic_indicators ADD COLUMN import_id INTEGER REFERENCES diagnostic_imports (id);

-- `kind` holds the file kind's code from now on (insee_population…);
-- rows of earlier versions keep their French label.
ALTER TABLE diagnostic_imports ADD COLUMN level TEXT NOT NULL DEFAULT 'commune';
ALTER TABLE diagnostic_imports ADD COLUMN rows_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE diagnostic_imports ADD COLUMN iris INTEGER NOT NULL DEFAULT 0;
ALTER TABLE diagnostic_imports ADD COLUMN secret_cells INTEGER NOT NULL DEFAULT 0;
ALTER TABLE diagnostic_imports ADD COLUMN person_id INTEGER REFERENCES people (id);

-- IRIS (neighbourhoods of the communes split into IRIS) that imported
-- files gave figures for.
CREATE TABLE diagnostic_iris (
    code         TEXT PRIMARY KEY,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    nom          TEXT
);
CREATE INDEX diagnostic_iris_commune ON diagnostic_iris (commune_code);

CREATE TABLE diagnostic_iris_indicators (
    iris_code TEXT NOT NULL REFERENCES diagnostic_iris (code),
    indicator TEXT NOT NULL,
    value     REAL NOT NULL,
    secret    INTEGER NOT NULL DEFAULT 0,
    import_id INTEGER REFERENCES diagnostic_imports (id),
    PRIMARY KEY (iris_code, indicator)
);

-- The public finder's searches, counted anonymously by construction: the
-- commune searched near, the needs asked for (services of the standard,
-- sorted, `|`-separated; empty: any), the number of places found within
-- the radius, the day (Paris time). No address, time of day or
-- identifier: searches sharing all four are one counter.
CREATE TABLE place_search_counts (
    day          TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    needs        TEXT NOT NULL,
    results      INTEGER NOT NULL,
    searches     INTEGER NOT NULL,
    PRIMARY KEY (day, commune_code, needs, results)
);
