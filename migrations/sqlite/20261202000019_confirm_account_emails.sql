-- Sign-up email confirmation (issue 13): an address is a person's only once they open a link sent
-- to it. Until then it receives nothing but the confirmation itself. A link's secret is stored
-- only as its SHA-256 hash; a link is used once and expires.
ALTER TABLE users ADD COLUMN email_confirmed_at BIGINT;

CREATE TABLE email_confirmations (
    token_hash  TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    -- How sending went: when it left, or why it could not, in words for the person.
    sent_at     BIGINT,
    send_error  TEXT,
    used_at     BIGINT
);
CREATE INDEX email_confirmations_user_idx ON email_confirmations (org_id, user_id, created_at);
