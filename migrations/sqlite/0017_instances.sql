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
    version INTEGER NOT NULL
);
INSERT INTO store_versions (name, version) VALUES ('places', 0);

CREATE TRIGGER places_version_insert AFTER INSERT ON places
BEGIN UPDATE store_versions SET version = version + 1 WHERE name = 'places'; END;
CREATE TRIGGER places_version_update AFTER UPDATE ON places
BEGIN UPDATE store_versions SET version = version + 1 WHERE name = 'places'; END;
CREATE TRIGGER places_version_delete AFTER DELETE ON places
BEGIN UPDATE store_versions SET version = version + 1 WHERE name = 'places'; END;

CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
