-- How each inbound message's sender was verified (`domain::inbound::SenderProof`): only a
-- verified sender continues a customer's thread or changes their booking.
ALTER TABLE messages ADD COLUMN sender_proof TEXT NOT NULL DEFAULT 'none';

-- Private links that let a customer see, cancel or ask to move their booking. Sent to the contact
-- on file when an unverified message names an existing customer; only the SHA-256 of the token is
-- stored. A link works until it expires or is used once.
CREATE TABLE manage_links (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    customer_id  TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    lead_id      TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE UNIQUE INDEX manage_links_token_key ON manage_links (token_hash);
CREATE INDEX manage_links_org_customer_idx ON manage_links (org_id, customer_id, created_at);
