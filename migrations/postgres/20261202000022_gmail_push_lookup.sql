-- Gmail through its API (issue 17): Google's push notifications name only the mailbox's address,
-- so the push endpoint finds the orgs that connected that Gmail through a door of its own, which
-- shows nothing but connected Gmail rows.
CREATE POLICY gmail_push_lookup ON integrations FOR SELECT
    USING (current_setting('app.gmail_push_lookup', true) = 'on' AND provider = 'gmail' AND status <> 'disconnected');
CREATE INDEX integrations_account ON integrations (provider, account_label);
