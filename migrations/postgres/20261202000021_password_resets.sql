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

-- Asking for a link and using it happen before the tenant is known: the auth door may read a link
-- and mark it used; links are written, and the password changed, inside the person's org.
GRANT SELECT, INSERT, UPDATE, DELETE ON password_resets TO opsquad_app;
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON password_resets
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
CREATE POLICY auth_lookup_read ON password_resets FOR SELECT
    USING (current_setting('app.auth_lookup', true) = 'on');
CREATE POLICY auth_lookup_use ON password_resets FOR UPDATE
    USING (current_setting('app.auth_lookup', true) = 'on')
    WITH CHECK (current_setting('app.auth_lookup', true) = 'on');
