-- Missed calls (issue 19): a caller who reached no one gets a text straight back, and a lead opens
-- on the board with a channel of its own, `call`.
ALTER TABLE leads DROP CONSTRAINT leads_channel_check;
ALTER TABLE leads ADD CONSTRAINT leads_channel_check
    CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page', 'call'));
ALTER TABLE messages DROP CONSTRAINT messages_channel_check;
ALTER TABLE messages ADD CONSTRAINT messages_channel_check
    CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api', 'booking_page', 'call'));
