-- Resetting a forgotten password by email (issue 17's account mail): a link goes to the account's
-- confirmed address only. Its secret is stored only as its SHA-256 hash; a link is used once,
-- expires within the hour, and a newer one replaces an older one.
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX password_resets_user_idx ON password_resets (org_id, user_id, created_at);
