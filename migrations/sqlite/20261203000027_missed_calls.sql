-- Missed calls (issue 19): a caller who reached no one gets a text straight back, and a lead opens
-- on the board with a channel of its own, `call`, so the usage report can count the calls the
-- squad recovered.
--
-- SQLite cannot change a CHECK constraint in place, so `leads` and `messages` are rebuilt as in
-- 20261201000015_add_booking_page.sql (migrations run with foreign keys off).

CREATE TABLE leads_rebuilt (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    customer_id        TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page', 'call')),
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
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page', 'call')),
    author        TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'human')),
    subject       TEXT,
    body          TEXT NOT NULL,
    external_id   TEXT,
    created_at    BIGINT NOT NULL,
    recipient     TEXT,
    sender_proof  TEXT NOT NULL DEFAULT 'none',
    private_link  TEXT,
    original_body TEXT
);
INSERT INTO messages_rebuilt (id, org_id, lead_id, direction, channel, author, subject, body, external_id,
                              created_at, recipient, sender_proof, private_link, original_body)
SELECT id, org_id, lead_id, direction, channel, author, subject, body, external_id,
       created_at, recipient, sender_proof, private_link, original_body
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;
CREATE INDEX messages_org_lead_idx ON messages (org_id, lead_id, created_at);
CREATE UNIQUE INDEX messages_org_external_key ON messages (org_id, channel, external_id);
