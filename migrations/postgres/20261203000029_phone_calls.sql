-- Every call to a shop's Twilio number (issue 19): answered by whoever the call rang, or missed and
-- then texted back with a lead of its own. Caller ID is not proof of who called, so an answered call
-- is shown beside a lead only as "from this number".
CREATE TABLE phone_calls (
    org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    call_sid          TEXT NOT NULL,
    -- The caller's number in E.164; NULL when it was withheld.
    from_number       TEXT,
    outcome           TEXT NOT NULL CHECK (outcome IN ('answered', 'missed')),
    duration_seconds  BIGINT,
    -- The lead a missed call opened.
    lead_id           TEXT REFERENCES leads (id) ON DELETE SET NULL,
    texted_back       BIGINT NOT NULL DEFAULT 0 CHECK (texted_back IN (0, 1)),
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (org_id, call_sid)
);
CREATE INDEX phone_calls_org_from_idx ON phone_calls (org_id, from_number, created_at);
CREATE INDEX phone_calls_org_created_idx ON phone_calls (org_id, created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON phone_calls TO opsquad_app;
ALTER TABLE phone_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE phone_calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON phone_calls
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
