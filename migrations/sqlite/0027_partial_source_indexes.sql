-- Most records have neither a source key (records typed in Passerelle or
-- imported from its own CSV) nor a twin fingerprint: their NULLs filled
-- both indexes and cost every imported record two index writes for
-- nothing (ARCHITECTURE.md, "Bulk imports"). The lookups all ask for
-- values (`= …`, `IN (…)`), which imply NOT NULL: partial indexes serve
-- them.
DROP INDEX activities_source_key;
CREATE UNIQUE INDEX activities_source_key ON activities (source_key) WHERE source_key IS NOT NULL;
DROP INDEX activities_twin_key;
CREATE INDEX activities_twin_key ON activities (twin_key) WHERE twin_key IS NOT NULL;
