-- The change log of places says what happened as a kind and its details
-- (`store::places::PlaceChangeKind`), not as words: the pages write the
-- French. `origin` now holds a code (`bundled:<source>`, `file:<name>`,
-- `api`, `edit`, `coordination`); lines written before keep their words
-- in `origin` and `summary`, with the kind `legacy`.
ALTER TABLE place_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'legacy';
ALTER TABLE place_changes ADD COLUMN detail TEXT;
