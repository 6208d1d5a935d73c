-- The self-serve booking page (issue 16): a channel of its own, so the board and the usage funnel
-- can tell a lead that booked itself from one that wrote in, and each org's page settings.
ALTER TABLE leads DROP CONSTRAINT leads_channel_check;
ALTER TABLE leads ADD CONSTRAINT leads_channel_check
    CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page'));
ALTER TABLE messages DROP CONSTRAINT messages_channel_check;
ALTER TABLE messages ADD CONSTRAINT messages_channel_check
    CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page'));

-- `services` is a JSON array of service ids the page offers; empty means every active service.
CREATE TABLE booking_pages (
    org_id              TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    enabled             BIGINT NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    services            TEXT NOT NULL DEFAULT '[]',
    days_ahead          BIGINT NOT NULL DEFAULT 14 CHECK (days_ahead BETWEEN 1 AND 60),
    min_notice_minutes  BIGINT NOT NULL DEFAULT 120 CHECK (min_notice_minutes BETWEEN 0 AND 10080),
    updated_at          BIGINT NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON booking_pages TO opsquad_app;
ALTER TABLE booking_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE booking_pages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON booking_pages
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
-- The public page finds an org's page by the org id in its address before the tenant is known
-- (store::booking_pages::find_enabled); it sees enabled pages only, then acts as that org.
CREATE POLICY booking_page_lookup ON booking_pages FOR SELECT
    USING (current_setting('app.booking_lookup', true) = 'on' AND enabled = 1);
