-- Text messages through each shop's own Twilio account (issue 19).
--
-- The connection itself is an `integrations` row (provider 'twilio'): the shop's number (or
-- Messaging Service) as its account, the Account SID in its config, the Auth Token sealed.

-- A number that texted STOP gets nothing more from the shop until it texts START.
CREATE TABLE sms_opt_outs (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    phone          TEXT NOT NULL,
    opted_out_at   BIGINT NOT NULL,
    PRIMARY KEY (org_id, phone)
);

-- Each text handed to Twilio, and what became of it as its status callbacks report it.
CREATE TABLE sms_texts (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    sid            TEXT NOT NULL,
    message_id     TEXT REFERENCES messages (id) ON DELETE SET NULL,
    to_number      TEXT NOT NULL,
    status         TEXT NOT NULL,
    segments       BIGINT,
    price_micros   BIGINT,
    error_code     BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (org_id, sid)
);
CREATE INDEX sms_texts_org_message_idx ON sms_texts (org_id, message_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON sms_opt_outs, sms_texts TO opsquad_app;
ALTER TABLE sms_opt_outs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_opt_outs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_opt_outs
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
ALTER TABLE sms_texts ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_texts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_texts
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));

-- Twilio's webhooks name the shop's number they reached; the endpoint finds the org that
-- connected that number through a door of its own, which shows nothing but Twilio connections.
CREATE POLICY twilio_number_lookup ON integrations FOR SELECT
    USING (current_setting('app.twilio_number_lookup', true) = 'on' AND provider = 'twilio');
