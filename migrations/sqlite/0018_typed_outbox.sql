-- The outbox stores what to tell people as data (a kind and its parameters,
-- JSON), rendered into French by the web layer when shown or sent; the
-- subject and body columns stay for the messages written before, and are
-- empty for the new ones. A one-time link's secret is in the parameters
-- while it is usable, and `link` holds it so it can be cut out (see 0010).
ALTER TABLE outbox ADD COLUMN kind TEXT;
ALTER TABLE outbox ADD COLUMN params TEXT;
