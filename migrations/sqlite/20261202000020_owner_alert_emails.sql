-- Alerts to the owner by email (issue 17): a lead that needs them is emailed at once to each owner
-- whose address is confirmed, unless they turned the emails off (then this says when).
ALTER TABLE users ADD COLUMN email_alerts_off_at BIGINT;
