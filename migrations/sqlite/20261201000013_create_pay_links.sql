-- Pay links keep only their token's SHA-256 (finding 9 of issue 13). Each link is minted when a
-- message carrying it is delivered, or when a person shares one from the invoice; it expires with
-- its age, and opens nothing once its invoice is void (or paid, after the receipt's grace period).
-- The plain-text `payment_url` goes: links stored that way stop working, and a fresh one is minted
-- on the next reminder or by the owner.
CREATE TABLE pay_links (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    invoice_id   TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    -- The outbound message that carried it; a delivery retry replaces that message's link.
    message_id   TEXT REFERENCES messages (id) ON DELETE SET NULL,
    token_hash   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX pay_links_token_key ON pay_links (token_hash);
CREATE INDEX pay_links_org_invoice_idx ON pay_links (org_id, invoice_id);
CREATE INDEX pay_links_org_message_idx ON pay_links (org_id, message_id);

DROP INDEX invoices_pay_token_key;
ALTER TABLE invoices DROP COLUMN pay_token_hash;
ALTER TABLE invoices DROP COLUMN payment_url;

-- What private link an outbound message carries (`squad::link_tokens::LinkTarget`, e.g.
-- `pay:<invoice id>`): the body holds a placeholder, and delivery puts a freshly minted link there.
ALTER TABLE messages ADD COLUMN private_link TEXT;
