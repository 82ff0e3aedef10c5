-- Enquêtes. A survey is a questionnaire (its TOML text, checked by
-- passerelle-surveys before it is stored) that a structure runs, with its
-- collection period and access (an open link, or one invitation per
-- response). Responses are anonymous by design: no person, no address, no
-- time finer than the day, and nothing links a response to an invitation.
CREATE TABLE surveys (
    id            BIGSERIAL PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    structure_id  BIGINT NOT NULL REFERENCES structures (id),
    title         TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    access        TEXT NOT NULL CHECK (access IN ('ouvert', 'invitation')),
    -- Days (YYYY-MM-DD), inclusive; NULL: no bound.
    opens_on      TEXT,
    closes_on     TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX surveys_structure ON surveys (structure_id);

-- One response per invitation: only the token's SHA-256 is kept.
CREATE TABLE survey_invitations (
    token_hash TEXT PRIMARY KEY,
    survey_id  BIGINT NOT NULL REFERENCES surveys (id),
    used       BIGINT NOT NULL DEFAULT 0
);

-- The answers as the cells of the responses file (a JSON object, column →
-- text), stored whole in one transaction.
CREATE TABLE survey_responses (
    id           BIGSERIAL PRIMARY KEY,
    survey_id    BIGINT NOT NULL REFERENCES surveys (id),
    submitted_on TEXT NOT NULL,
    answers      TEXT NOT NULL
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id);

-- Save and resume: answers so far, behind a private link (hash only).
CREATE TABLE survey_drafts (
    token_hash TEXT PRIMARY KEY,
    survey_id  BIGINT NOT NULL REFERENCES surveys (id),
    answers    TEXT NOT NULL,
    saved_on   TEXT NOT NULL
);
