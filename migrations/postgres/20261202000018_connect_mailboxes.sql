-- Email for real (issue 17): a shop's own mailbox over IMAP and SMTP is a connection of its own
-- (`imap_smtp`), beside Gmail. A connection remembers when it was last checked and what went
-- wrong, in words for the owner; its credentials stay sealed in `credentials_sealed`.
ALTER TABLE integrations DROP CONSTRAINT integrations_provider_check;
ALTER TABLE integrations ADD CONSTRAINT integrations_provider_check
    CHECK (provider IN ('gmail', 'google_calendar', 'stripe', 'twilio', 'smtp', 'imap_smtp'));
ALTER TABLE integrations ADD COLUMN last_error TEXT;
ALTER TABLE integrations ADD COLUMN checked_at BIGINT;
-- Where the squad stands in the mailbox (JSON: the IMAP UIDVALIDITY and the last UID taken in).
ALTER TABLE integrations ADD COLUMN cursor TEXT;
