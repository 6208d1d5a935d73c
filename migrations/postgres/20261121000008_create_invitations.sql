-- Invitations to join an org as staff. The link's secret is stored only as its SHA-256 hash; an
-- invitation is used once, can be withdrawn, and expires.
CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('staff')),
    token_hash   TEXT NOT NULL,
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_org_created_idx ON invitations (org_id, created_at);

-- Opening an invitation link happens before the tenant is known, like log-in: the auth lookup
-- reaches this table too.
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO opsquad_app;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
CREATE POLICY auth_lookup ON invitations
    USING (current_setting('app.auth_lookup', true) = 'on')
    WITH CHECK (current_setting('app.auth_lookup', true) = 'on');
