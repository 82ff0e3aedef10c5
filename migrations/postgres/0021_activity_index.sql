-- Activités at any grain (issue 18): each server keeps a columnar index of
-- the live records in memory (crates/activities/src/stats) and brings it up
-- to date before answering from two high-water marks, read in the same
-- statement as the rows: the largest record id it has seen (records added
-- since), and the largest `activity_changes.seq` (records changed, withdrawn
-- or deleted since).
--
-- `activity_changes` keeps a live record as it was just before it changed:
-- what an index that counted it takes out. A trigger writes it, so no code
-- path (nor the command line) can forget it.
--
-- Ids and change numbers must grow in the order of commits, or a mark could
-- pass over a write committed later with a smaller number. A statement
-- trigger, which runs before the statement computes its rows (and draws its
-- ids), raises `store_versions.activities`: the row lock it takes until
-- commit orders the transactions that write records.
CREATE TABLE activity_changes (
    seq          BIGSERIAL PRIMARY KEY,
    activity_id  BIGINT NOT NULL,
    data         TEXT NOT NULL,
    commune_code TEXT,
    structure_id BIGINT,
    mediator_id  BIGINT,
    changed_at   TEXT NOT NULL
);

INSERT INTO store_versions (name, version) VALUES ('activities', 0);

CREATE FUNCTION activities_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE store_versions SET version = version + 1 WHERE name = 'activities';
    RETURN NULL;
END $$;
CREATE TRIGGER activities_in_order BEFORE INSERT OR UPDATE OR DELETE ON activities
FOR EACH STATEMENT EXECUTE FUNCTION activities_in_order();

CREATE FUNCTION activity_changes_journal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.deleted_at IS NULL THEN
        INSERT INTO activity_changes (activity_id, data, commune_code, structure_id, mediator_id, changed_at)
        VALUES (OLD.id, OLD.data, OLD.commune_code, OLD.structure_id, OLD.mediator_id,
                to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activity_changes_journal BEFORE UPDATE OR DELETE ON activities
FOR EACH ROW EXECUTE FUNCTION activity_changes_journal();

-- Public links to a view of the figures (territory, period, filters): read
-- without signing in, under the small-cell rule, until revoked.
CREATE TABLE activity_shares (
    id          BIGSERIAL PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    -- The view: territory key, first and last days, filters, dimensions.
    view        TEXT NOT NULL,
    created_by  BIGINT REFERENCES people (id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
