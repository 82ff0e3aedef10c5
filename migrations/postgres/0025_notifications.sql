-- Notifications across features (0.2.0): a survey's gestionnaires are told
-- some days before it closes, once for each closing date (the date told is
-- kept, so a survey prolonged to a new date is told again, never twice for
-- the same one).
ALTER TABLE surveys ADD COLUMN closing_told_on TEXT;
