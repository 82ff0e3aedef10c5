-- Activités imported from other tools' files (the Coop's export, CRA v1).
-- `source_key`: the record's identity in its source (`coop:<ID CRA>`,
-- `cra-v1:<id>`, or a digest of a line for files without identifiers), so
-- that importing the same or an overlapping file again updates the record
-- instead of adding it twice. `twin_key`: the fingerprint a CRA v1 report
-- shares with its copy in the Coop's export (`Source de la donnée` =
-- `Espace coop (V1)`, which has a new identifier); when both files are
-- imported, the copy imported second is kept withdrawn (`deleted_at` set at
-- import), so that the report counts once and a later import knows it.
ALTER TABLE activities ADD COLUMN source_key TEXT;
ALTER TABLE activities ADD COLUMN twin_key TEXT;
CREATE UNIQUE INDEX activities_source_key ON activities (source_key);
CREATE INDEX activities_twin_key ON activities (twin_key);
