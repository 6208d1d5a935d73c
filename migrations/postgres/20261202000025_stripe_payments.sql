-- Card payments through each shop's own Stripe account (issue 18).
--
-- A Checkout Session is made on the shop's connected account for an invoice's balance at the
-- moment the customer asks to pay; `attempt` numbers the sessions of one invoice and amount, and
-- is part of the idempotency key Stripe sees, so a retried request never makes a second session.
CREATE TABLE stripe_checkouts (
    id              TEXT NOT NULL,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    invoice_id      TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    amount_cents    BIGINT NOT NULL CHECK (amount_cents > 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
    url             TEXT,
    payment_intent  TEXT,
    attempt         BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX stripe_checkouts_org_invoice_idx ON stripe_checkouts (org_id, invoice_id);

-- What Stripe has said about each payment (one payment intent), merged from events in whatever
-- order they arrive: amounts only grow, a dispute's status follows its newest event. What the
-- squad has done about it (booked the payment, told the lead of a refund or a dispute) is kept
-- beside it, so each is done once.
CREATE TABLE stripe_payments (
    org_id               TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    payment_intent       TEXT NOT NULL,
    invoice_id           TEXT REFERENCES invoices (id) ON DELETE SET NULL,
    checkout_id          TEXT,
    amount_cents         BIGINT NOT NULL DEFAULT 0,
    currency             TEXT,
    refunded_cents       BIGINT NOT NULL DEFAULT 0,
    dispute_id           TEXT,
    dispute_status       TEXT,
    dispute_cents        BIGINT NOT NULL DEFAULT 0,
    dispute_at           BIGINT,
    booked_at            BIGINT,
    told_refunded_cents  BIGINT NOT NULL DEFAULT 0,
    told_dispute_status  TEXT,
    problem              TEXT,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (org_id, payment_intent)
);
CREATE INDEX stripe_payments_org_invoice_idx ON stripe_payments (org_id, invoice_id);

-- Webhook events are stored once on arrival and processed by a job; what the job made of each
-- is kept with it.
ALTER TABLE inbound_events ADD COLUMN processed_at BIGINT;
ALTER TABLE inbound_events ADD COLUMN outcome TEXT;

GRANT SELECT, INSERT, UPDATE, DELETE ON stripe_checkouts, stripe_payments TO opsquad_app;
ALTER TABLE stripe_checkouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_checkouts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON stripe_checkouts
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));
ALTER TABLE stripe_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON stripe_payments
    USING (org_id = current_setting('app.org_id', true))
    WITH CHECK (org_id = current_setting('app.org_id', true));

-- Stripe's webhooks name the connected account an event happened on; the endpoint finds the org
-- that connected it through a door of its own, which shows nothing but Stripe connections.
CREATE POLICY stripe_account_lookup ON integrations FOR SELECT
    USING (current_setting('app.stripe_account_lookup', true) = 'on' AND provider = 'stripe');
