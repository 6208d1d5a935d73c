-- Payments: an invoice gets a hosted pay link (only its SHA-256 is looked up) and a ledger of
-- payments against it; the (org, provider, reference) key makes a replayed webhook or a repeated
-- recording a no-op.
ALTER TABLE invoices ADD COLUMN pay_token_hash TEXT;
-- An owner-approved discount, taken off the subtotal before tax.
ALTER TABLE invoices ADD COLUMN discount_cents BIGINT NOT NULL DEFAULT 0 CHECK (discount_cents >= 0);
CREATE UNIQUE INDEX invoices_pay_token_key ON invoices (pay_token_hash);

CREATE TABLE payments (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    invoice_id    TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    amount_cents  BIGINT NOT NULL CHECK (amount_cents > 0),
    method        TEXT NOT NULL CHECK (method IN ('card', 'cash', 'check', 'bank_transfer', 'other', 'test')),
    provider      TEXT NOT NULL,
    reference     TEXT NOT NULL,
    recorded_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX payments_org_provider_reference_key ON payments (org_id, provider, reference);
CREATE INDEX payments_org_invoice_idx ON payments (org_id, invoice_id);

-- What a run is for: a new inquiry, a customer writing again about a booking, a payment follow-up.
ALTER TABLE agent_runs ADD COLUMN task TEXT NOT NULL DEFAULT 'inquiry';

-- Where an outbound message goes when it is not the customer's address on file (an approved new
-- billing address).
ALTER TABLE messages ADD COLUMN recipient TEXT;

-- Guardrail policies and escalation timeouts, as one validated JSON document.
ALTER TABLE business_settings ADD COLUMN policies TEXT NOT NULL DEFAULT '{}';

GRANT SELECT, INSERT, UPDATE, DELETE ON payments TO opsquad_app;
ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payments
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
-- The customer's pay page finds its invoice by the link's hash before the tenant is known
-- (store::payments::find_pay_link); it may read invoices and nothing else.
CREATE POLICY pay_link_lookup ON invoices FOR SELECT
    USING (current_setting('app.pay_lookup', true) = 'on');
