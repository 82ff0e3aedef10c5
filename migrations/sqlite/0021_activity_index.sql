-- Activités at any grain (issue 18): each server keeps a columnar index of
-- the live records in memory (crates/activities/src/stats) and brings it up
-- to date before answering from two high-water marks, read in the same
-- statement as the rows: the largest record id it has seen (records added
-- since), and the largest `activity_changes.seq` (records changed, withdrawn
-- or deleted since).
--
-- `activity_changes` keeps a live record as it was just before it changed:
-- what an index that counted it takes out. A trigger writes it, so no code
-- path (nor the command line) can forget it. SQLite runs one writer at a
-- time, so ids and change numbers grow in the order of commits.
CREATE TABLE activity_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  INTEGER NOT NULL,
    data         TEXT NOT NULL,
    commune_code TEXT,
    structure_id INTEGER,
    mediator_id  INTEGER,
    changed_at   TEXT NOT NULL
);

CREATE TRIGGER activity_changes_update BEFORE UPDATE ON activities
WHEN OLD.deleted_at IS NULL
BEGIN
    INSERT INTO activity_changes (activity_id, data, commune_code, structure_id, mediator_id, changed_at)
    VALUES (OLD.id, OLD.data, OLD.commune_code, OLD.structure_id, OLD.mediator_id,
            strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
END;
CREATE TRIGGER activity_changes_delete BEFORE DELETE ON activities
WHEN OLD.deleted_at IS NULL
BEGIN
    INSERT INTO activity_changes (activity_id, data, commune_code, structure_id, mediator_id, changed_at)
    VALUES (OLD.id, OLD.data, OLD.commune_code, OLD.structure_id, OLD.mediator_id,
            strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
END;

-- Public links to a view of the figures (territory, period, filters): read
-- without signing in, under the small-cell rule, until revoked.
CREATE TABLE activity_shares (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token       TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    -- The view: territory key, first and last days, filters, dimensions.
    view        TEXT NOT NULL,
    created_by  INTEGER REFERENCES people (id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
