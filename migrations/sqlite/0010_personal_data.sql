-- Personal data: who vouches for a referent entry, links that stop being
-- usable in the outbox, and an audit trail that forgets addresses
-- (security review, issue 12: H1, M1, M7, audit retention). The schedule
-- is described in docs/donnees-personnelles.md.

-- H1. A referent entry names who created it and who validated it. Only
-- validated entries receive "situation complexe" requests; entries made
-- before this rule wait for a coordinator's or an admin's validation.
ALTER TABLE referents ADD COLUMN created_by INTEGER REFERENCES people (id);
ALTER TABLE referents ADD COLUMN created_at TEXT;
ALTER TABLE referents ADD COLUMN validated_by INTEGER REFERENCES people (id);
ALTER TABLE referents ADD COLUMN validated_at TEXT;
UPDATE referents SET created_by = updated_by, created_at = updated_at;

-- M1. A message carrying a one-time link keeps the link text in `link`
-- and the token's hash in `token_hash`. Once the message is delivered, or
-- the link used or replaced, the link is cut out of `body` and `link` set
-- to NULL in the same statement.
ALTER TABLE outbox ADD COLUMN link TEXT;
ALTER TABLE outbox ADD COLUMN token_hash TEXT;
CREATE INDEX outbox_token ON outbox (token_hash);
-- Links already delivered, or expired (invitations last 7 days, resets an
-- hour), are cut out now. A token is 64 hexadecimal characters.
UPDATE outbox
SET body = substr(body, 1, instr(body, '/invitation/') + 11) || '[lien retiré]'
        || substr(body, instr(body, '/invitation/') + 76)
WHERE instr(body, '/invitation/') > 0
  AND (sent_at IS NOT NULL OR created_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-8 days'));
UPDATE outbox
SET body = substr(body, 1, instr(body, '/reinitialisation/') + 17) || '[lien retiré]'
        || substr(body, instr(body, '/reinitialisation/') + 82)
WHERE instr(body, '/reinitialisation/') > 0
  AND (sent_at IS NOT NULL OR created_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-2 hours'));

-- M7. The free-text subject of a "situation complexe" request is
-- personal: it no longer goes into e-mails, is erased ('') with the rest,
-- and leaves the messages already queued.
UPDATE outbox
SET body = 'Un professionnel vous soumet une situation complexe.'
        || substr(body, instr(body, char(10) || char(10) || 'Pour la lire'))
WHERE subject = 'Situation complexe : une demande de professionnel'
  AND instr(body, char(10) || char(10) || 'Pour la lire') > 0;
UPDATE complex_requests SET subject = '' WHERE erased_at IS NOT NULL;

-- Audit retention. The trail stays append-only with one narrow
-- exception: an IP address, and the address typed at a sign-in, a reset
-- request or an invitation, may be replaced once by a pseudonym
-- ('pseudo:' and 16 hexadecimal characters) when their retention period
-- is over. Nothing else of a line may change; no line may be deleted.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (
    NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.action = OLD.action
    AND NEW.actor_person_id IS OLD.actor_person_id
    AND NEW.actor_token_id IS OLD.actor_token_id
    AND NEW.structure_id IS OLD.structure_id
    AND NEW.detail IS OLD.detail
    AND (NEW.ip IS OLD.ip
         OR (OLD.ip IS NOT NULL AND substr(OLD.ip, 1, 7) <> 'pseudo:'
             AND substr(NEW.ip, 1, 7) = 'pseudo:' AND length(NEW.ip) = 23))
    AND (NEW.subject IS OLD.subject
         OR (OLD.action IN ('sign_in.failure', 'sign_in.throttled', 'password.reset_requested', 'invitation.created')
             AND OLD.subject IS NOT NULL AND substr(OLD.subject, 1, 7) <> 'pseudo:'
             AND substr(NEW.subject, 1, 7) = 'pseudo:' AND length(NEW.subject) = 23))
)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
-- The addresses still to pseudonymise, oldest first.
CREATE INDEX audit_events_identified_ip ON audit_events (at)
WHERE ip IS NOT NULL AND substr(ip, 1, 7) <> 'pseudo:';
