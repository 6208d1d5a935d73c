-- The self-serve booking page (issue 16): a channel of its own, so the board and the usage funnel
-- can tell a lead that booked itself from one that wrote in, and each org's page settings.
--
-- SQLite cannot change a CHECK constraint in place, so `leads` and `messages` are rebuilt the way
-- its documentation prescribes. Migrations run with foreign keys off (`store::Db::migrate`), so
-- dropping the old table cascades to nothing; the copy then takes the old name, every foreign key
-- that names the table points at it again, and the keys are checked once all migrations are in.

CREATE TABLE leads_rebuilt (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    customer_id        TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page')),
    stage              TEXT NOT NULL DEFAULT 'new' CHECK (stage IN ('new', 'qualifying', 'disqualified',
                         'scheduling', 'booked', 'completed', 'invoiced', 'paid', 'escalated')),
    waiting_on         TEXT NOT NULL DEFAULT 'none' CHECK (waiting_on IN ('customer', 'owner', 'none')),
    score              BIGINT CHECK (score BETWEEN 1 AND 10),
    score_reasons      TEXT NOT NULL DEFAULT '[]',
    urgency            TEXT,
    service_id         TEXT REFERENCES services (id) ON DELETE SET NULL,
    summary            TEXT NOT NULL DEFAULT '',
    human_takeover     BIGINT NOT NULL DEFAULT 0 CHECK (human_takeover IN (0, 1)),
    first_response_at  BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
INSERT INTO leads_rebuilt (id, org_id, customer_id, channel, stage, waiting_on, score, score_reasons, urgency,
                           service_id, summary, human_takeover, first_response_at, created_at, updated_at)
SELECT id, org_id, customer_id, channel, stage, waiting_on, score, score_reasons, urgency,
       service_id, summary, human_takeover, first_response_at, created_at, updated_at
FROM leads;
DROP TABLE leads;
ALTER TABLE leads_rebuilt RENAME TO leads;
CREATE INDEX leads_org_stage_idx ON leads (org_id, stage, updated_at);
CREATE INDEX leads_org_customer_idx ON leads (org_id, customer_id);

CREATE TABLE messages_rebuilt (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id       TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page')),
    author        TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'human')),
    subject       TEXT,
    body          TEXT NOT NULL,
    external_id   TEXT,
    created_at    BIGINT NOT NULL,
    recipient     TEXT,
    sender_proof  TEXT NOT NULL DEFAULT 'none',
    private_link  TEXT
);
INSERT INTO messages_rebuilt (id, org_id, lead_id, direction, channel, author, subject, body, external_id,
                              created_at, recipient, sender_proof, private_link)
SELECT id, org_id, lead_id, direction, channel, author, subject, body, external_id,
       created_at, recipient, sender_proof, private_link
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;
CREATE INDEX messages_org_lead_idx ON messages (org_id, lead_id, created_at);
CREATE UNIQUE INDEX messages_org_external_key ON messages (org_id, channel, external_id);

-- `services` is a JSON array of service ids the page offers; empty means every active service.
CREATE TABLE booking_pages (
    org_id              TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    enabled             BIGINT NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    services            TEXT NOT NULL DEFAULT '[]',
    days_ahead          BIGINT NOT NULL DEFAULT 14 CHECK (days_ahead BETWEEN 1 AND 60),
    min_notice_minutes  BIGINT NOT NULL DEFAULT 120 CHECK (min_notice_minutes BETWEEN 0 AND 10080),
    updated_at          BIGINT NOT NULL
);
