-- The place of the Lieux directory a record happened at, as a column, so
-- that a dashboard narrowed to a place or a national programme reads only
-- those records (roll-ups stay per territory, structure and mediator).
ALTER TABLE activities ADD COLUMN place_id BIGINT REFERENCES places (id);
UPDATE activities SET place_id = CAST(data::json -> 'place' ->> 'value' AS BIGINT)
    WHERE data::json -> 'place' ->> 'kind' = 'lieu';
CREATE INDEX activities_place ON activities (place_id, date);
