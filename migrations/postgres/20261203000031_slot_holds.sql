-- An opening briefly kept for the lead it was offered to first (issue 20): while a Scheduler run
-- decides, the same opening is not offered to the other leads being scheduled at that moment, so a
-- flood of inquiries does not race for one time and lose it in turn. One hold per lead; a hold ends
-- when its lead books or after a couple of minutes.
CREATE TABLE slot_holds (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id        TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    technician_id  TEXT NOT NULL,
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (org_id, lead_id)
);
CREATE INDEX slot_holds_org_expires_idx ON slot_holds (org_id, expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON slot_holds TO opsquad_app;
ALTER TABLE slot_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE slot_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON slot_holds
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
