-- The embeddable chat widget (issue 16): each org's widget settings, and the visitors' sessions.
-- A session is the widget's credential for one conversation: it names the customer and the lead
-- its first message created, and nothing else is reachable from it.
CREATE TABLE widgets (
    org_id           TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    enabled          BIGINT NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    -- A JSON array of origins (`https://www.example.com`) that may embed the widget.
    allowed_origins  TEXT NOT NULL DEFAULT '[]',
    greeting         TEXT NOT NULL,
    accent_color     TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE widget_sessions (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    customer_id   TEXT REFERENCES customers (id) ON DELETE CASCADE,
    lead_id       TEXT REFERENCES leads (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);
CREATE INDEX widget_sessions_org ON widget_sessions (org_id, created_at);
CREATE INDEX widget_sessions_lead ON widget_sessions (lead_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON widgets, widget_sessions TO opsquad_app;
ALTER TABLE widgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE widgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widgets
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
ALTER TABLE widget_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE widget_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widget_sessions
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
-- The widget finds an org's settings by the org id in its address before the tenant is known
-- (store::widgets::find_enabled); it sees enabled widgets only, then acts as that org.
CREATE POLICY widget_lookup ON widgets FOR SELECT
    USING (current_setting('app.widget_lookup', true) = 'on' AND enabled = 1);
