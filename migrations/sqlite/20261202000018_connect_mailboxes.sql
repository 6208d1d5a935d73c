-- Email for real (issue 17): a shop's own mailbox over IMAP and SMTP is a connection of its own
-- (`imap_smtp`), beside Gmail. A connection remembers when it was last checked and what went
-- wrong, in words for the owner; its credentials stay sealed in `credentials_sealed`.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt (nothing refers to it).
CREATE TABLE integrations_new (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    provider            TEXT NOT NULL CHECK (provider IN ('gmail', 'google_calendar', 'stripe', 'twilio', 'smtp', 'imap_smtp')),
    status              TEXT NOT NULL CHECK (status IN ('pending', 'connected', 'error', 'disconnected')),
    account_label       TEXT,
    credentials_sealed  TEXT,
    config              TEXT NOT NULL DEFAULT '{}',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    last_error          TEXT,
    checked_at          BIGINT,
    -- Where the squad stands in the mailbox (JSON: the IMAP UIDVALIDITY and the last UID taken in).
    cursor              TEXT
);
INSERT INTO integrations_new (id, org_id, provider, status, account_label, credentials_sealed, config, created_at, updated_at)
    SELECT id, org_id, provider, status, account_label, credentials_sealed, config, created_at, updated_at FROM integrations;
DROP TABLE integrations;
ALTER TABLE integrations_new RENAME TO integrations;
CREATE UNIQUE INDEX integrations_org_provider_key ON integrations (org_id, provider);
