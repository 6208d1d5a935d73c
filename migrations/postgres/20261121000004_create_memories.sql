-- The squad's memory, one row per entry, in four layers with their own retention:
-- preference (permanent), history and session_summary (120 days), issue (365 days).
-- Content is written by code or from allow-listed values, never raw customer text.
CREATE TABLE memories (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    layer        TEXT NOT NULL CHECK (layer IN ('preference', 'history', 'session_summary', 'issue')),
    customer_id  TEXT REFERENCES customers (id) ON DELETE CASCADE,
    lead_id      TEXT REFERENCES leads (id) ON DELETE SET NULL,
    key          TEXT,
    content      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT
);
CREATE INDEX memories_org_layer_idx ON memories (org_id, layer, created_at);
CREATE INDEX memories_org_customer_idx ON memories (org_id, customer_id, created_at);
CREATE INDEX memories_expires_idx ON memories (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON memories TO opsquad_app;
ALTER TABLE memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE memories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memories
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
-- The retention sweep removes expired entries across tenants (store::memories::sweep_expired).
CREATE POLICY worker_retention ON memories
    USING (current_setting('app.worker', true) = 'on');
