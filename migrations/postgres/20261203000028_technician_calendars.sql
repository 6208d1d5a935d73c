-- Technicians' own calendars (issue 19): what they have on is taken out of their openings, and
-- the visits booked for them are written into it.

-- One calendar per technician: a CalDAV collection (iCloud, Fastmail, Nextcloud …) or a Google
-- Calendar. Its password or refresh token is sealed; its busy times are kept for a few minutes.
CREATE TABLE technician_calendars (
    org_id              TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    technician_id       TEXT NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    provider            TEXT NOT NULL CHECK (provider IN ('caldav', 'google')),
    -- The CalDAV collection's URL, or the Google calendar's id.
    calendar            TEXT NOT NULL,
    -- What the calendar is called, and the user name it signs in with.
    account_label       TEXT NOT NULL,
    username            TEXT NOT NULL,
    credentials_sealed  TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('connected', 'error')),
    last_error          TEXT,
    -- The busy times last read, as JSON [[start, end], …] in Unix ms, for [busy_from, busy_until).
    busy                TEXT NOT NULL DEFAULT '[]',
    busy_from           BIGINT,
    busy_until          BIGINT,
    -- When the calendar was last read successfully.
    read_at             BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (org_id, technician_id)
);

-- The event each booked visit became in its technician's calendar.
CREATE TABLE calendar_events (
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    appointment_id  TEXT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    technician_id   TEXT NOT NULL,
    provider        TEXT NOT NULL,
    calendar        TEXT NOT NULL,
    -- The event's id in that calendar (the CalDAV resource name, or the Google event id).
    external_id     TEXT NOT NULL,
    -- 'written', 'deleted' (we removed it), 'missing' (someone else did; the owner was told).
    status          TEXT NOT NULL CHECK (status IN ('written', 'deleted', 'missing')),
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, appointment_id)
);
CREATE INDEX calendar_events_org_tech_idx ON calendar_events (org_id, technician_id, status, starts_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON technician_calendars, calendar_events TO opsquad_app;
ALTER TABLE technician_calendars ENABLE ROW LEVEL SECURITY;
ALTER TABLE technician_calendars FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON technician_calendars
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
ALTER TABLE calendar_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_events
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
