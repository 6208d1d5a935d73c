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
