-- Times the Scheduler offers in a live chat (issue 16): the visitor taps one to book it. Each row
-- is one offered start on the chat line (`message_id`) that showed it; the booking itself is
-- checked against the openings again when the visitor picks, so an offer is never a hold.
CREATE TABLE time_offers (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id        TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    message_id     TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    technician_id  TEXT NOT NULL,
    starts_at      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX time_offers_lead ON time_offers (org_id, lead_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON time_offers TO opsquad_app;
ALTER TABLE time_offers ENABLE ROW LEVEL SECURITY;
ALTER TABLE time_offers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON time_offers
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
