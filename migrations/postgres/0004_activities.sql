-- Activités. Records are anonymous (see crates/activities). Dashboards read
-- `activity_rollups`, kept up to date in the transaction of every write, so
-- that no aggregation scans the records themselves.
CREATE TABLE activities (
    id              BIGSERIAL PRIMARY KEY,
    data            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    date            TEXT NOT NULL,
    participants    BIGINT NOT NULL,
    -- Where it happened: the place's commune, or the commune given.
    commune_code    TEXT REFERENCES communes (code),
    mediator_id     BIGINT REFERENCES people (id),
    structure_id    BIGINT REFERENCES structures (id),
    idempotency_key TEXT UNIQUE,
    created_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX activities_mediator ON activities (mediator_id, date);

-- One row per territory at every level ("all", "reg:53", "dep:29",
-- "epci:<SIREN>", "com:<INSEE>"), so that a dashboard reads only the rows of
-- the territory it shows.
-- One row per territory at every level ("all", "reg:53", "dep:29",
-- "epci:<SIREN>", "com:<INSEE>"), so that a dashboard reads only the rows
-- of the territory it shows.
CREATE TABLE activity_rollups (
    dimension    TEXT NOT NULL,
    territory    TEXT NOT NULL,
    month        TEXT NOT NULL,
    structure_id BIGINT NOT NULL,
    mediator_id  BIGINT NOT NULL,
    value        TEXT NOT NULL,
    people       BIGINT NOT NULL,
    records      BIGINT NOT NULL,
    PRIMARY KEY (dimension, territory, month, structure_id, mediator_id, value)
);

-- Figures from elsewhere, kept apart from records and labelled.
CREATE TABLE activity_aggregates (
    source      TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    code_postal TEXT NOT NULL,
    dimension   TEXT NOT NULL,
    value       TEXT NOT NULL,
    people      BIGINT NOT NULL,
    PRIMARY KEY (source, code_postal, dimension, value)
);
