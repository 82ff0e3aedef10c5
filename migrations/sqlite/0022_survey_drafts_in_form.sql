-- Enquêtes built in a form: a survey starts as a draft ('brouillon': its
-- questionnaire may change, nobody can answer it) and is then put online
-- ('en_ligne': answered within its dates, its questionnaire fixed).
-- Surveys created before were put online at once.
ALTER TABLE surveys ADD COLUMN status TEXT NOT NULL DEFAULT 'en_ligne'
    CHECK (status IN ('brouillon', 'en_ligne'));
