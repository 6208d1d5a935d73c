-- Guardrail: invoices above this total (cents) wait for the owner's approval before they are
-- sent. 0 means every invoice needs approval.
ALTER TABLE business_settings
    ADD COLUMN invoice_approval_above_cents BIGINT NOT NULL DEFAULT 100000 CHECK (invoice_approval_above_cents >= 0);
