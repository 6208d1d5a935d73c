-- Gmail through its API (issue 17): Google's push notifications name only the mailbox's address,
-- so the push endpoint finds the orgs that connected that Gmail by it. (PostgreSQL also opens a
-- row-level-security door for that lookup; SQLite has none to open.)
CREATE INDEX integrations_account ON integrations (provider, account_label);
