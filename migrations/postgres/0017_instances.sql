-- Several `passerelle serve` on one database.
--
-- `store_versions`: a counter per kind of data that servers keep in memory,
-- raised by triggers on every change, whoever makes it (another server, the
-- command line). A server compares it with the version its copy was built
-- from and rebuilds the copy when they differ.
--
-- `job_leases`: a scheduled job (reminders, expiries, erasures, purges) runs
-- on the server holding its lease, so that N servers do not send N
-- reminders. A lease expires on its own if its server dies.
CREATE TABLE store_versions (
    name    TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO store_versions (name, version) VALUES ('places', 0);

CREATE FUNCTION places_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE store_versions SET version = version + 1 WHERE name = 'places';
    RETURN NULL;
END $$;
CREATE TRIGGER places_version AFTER INSERT OR UPDATE OR DELETE ON places
FOR EACH STATEMENT EXECUTE FUNCTION places_version_bump();

CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
