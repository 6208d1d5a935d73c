-- Core tables. Ids are UUID text, timestamps are Unix milliseconds (BIGINT), money is integer cents
-- and model cost is integer micro-dollars, so both backends store exactly the same values.

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    name           TEXT,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    disabled_at    BIGINT,
    created_at     BIGINT NOT NULL
);
-- One login per address across the product: log-in finds the org from the email.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_org_idx ON users (org_id, created_at);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sessions_org_user_idx ON sessions (org_id, user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, created_at);

CREATE TABLE business_settings (
    org_id                    TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    time_zone                 TEXT NOT NULL DEFAULT 'America/New_York',
    weekly_hours              TEXT NOT NULL DEFAULT '{}',
    holidays                  TEXT NOT NULL DEFAULT '[]',
    service_area              TEXT NOT NULL DEFAULT '{}',
    booking_buffer_minutes    BIGINT NOT NULL DEFAULT 30 CHECK (booking_buffer_minutes >= 0),
    reminder_offsets_minutes  TEXT NOT NULL DEFAULT '[1440,60]',
    tone                      TEXT NOT NULL DEFAULT 'friendly',
    currency                  TEXT NOT NULL DEFAULT 'USD',
    tax_rate_bps              BIGINT NOT NULL DEFAULT 0 CHECK (tax_rate_bps BETWEEN 0 AND 10000),
    payment_terms_days        BIGINT NOT NULL DEFAULT 14 CHECK (payment_terms_days >= 0),
    run_budget_micros         BIGINT NOT NULL DEFAULT 500000 CHECK (run_budget_micros >= 0),
    daily_budget_micros       BIGINT NOT NULL DEFAULT 20000000 CHECK (daily_budget_micros >= 0),
    onboarding_step           TEXT NOT NULL DEFAULT 'profile',
    updated_at                BIGINT NOT NULL
);

CREATE TABLE services (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    pricing              TEXT NOT NULL CHECK (pricing IN ('flat', 'hourly')),
    price_cents          BIGINT NOT NULL CHECK (price_cents >= 0),
    duration_minutes     BIGINT NOT NULL CHECK (duration_minutes > 0),
    emergency_fee_cents  BIGINT NOT NULL DEFAULT 0 CHECK (emergency_fee_cents >= 0),
    taxable              BIGINT NOT NULL DEFAULT 1 CHECK (taxable IN (0, 1)),
    skill                TEXT,
    active               BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX services_org_name_key ON services (org_id, name);

CREATE TABLE technicians (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    skills         TEXT NOT NULL DEFAULT '[]',
    working_hours  TEXT NOT NULL DEFAULT '{}',
    calendar_id    TEXT,
    active         BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX technicians_org_idx ON technicians (org_id, name);

CREATE TABLE customers (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    email        TEXT,
    phone        TEXT,
    address      TEXT,
    postal_code  TEXT,
    notes        TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX customers_org_created_idx ON customers (org_id, created_at);
CREATE INDEX customers_org_email_idx ON customers (org_id, email);
CREATE INDEX customers_org_phone_idx ON customers (org_id, phone);

CREATE TABLE leads (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    customer_id        TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api')),
    stage              TEXT NOT NULL DEFAULT 'new' CHECK (stage IN ('new', 'qualifying', 'disqualified',
                         'scheduling', 'booked', 'completed', 'invoiced', 'paid', 'escalated')),
    waiting_on         TEXT NOT NULL DEFAULT 'none' CHECK (waiting_on IN ('customer', 'owner', 'none')),
    score              BIGINT CHECK (score BETWEEN 1 AND 10),
    score_reasons      TEXT NOT NULL DEFAULT '[]',
    urgency            TEXT,
    service_id         TEXT REFERENCES services (id) ON DELETE SET NULL,
    summary            TEXT NOT NULL DEFAULT '',
    human_takeover     BIGINT NOT NULL DEFAULT 0 CHECK (human_takeover IN (0, 1)),
    first_response_at  BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX leads_org_stage_idx ON leads (org_id, stage, updated_at);
CREATE INDEX leads_org_customer_idx ON leads (org_id, customer_id);

CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id      TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    direction    TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'form', 'api')),
    author       TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'human')),
    subject      TEXT,
    body         TEXT NOT NULL,
    external_id  TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX messages_org_lead_idx ON messages (org_id, lead_id, created_at);
CREATE UNIQUE INDEX messages_org_external_key ON messages (org_id, channel, external_id);

CREATE TABLE appointments (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id        TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    technician_id  TEXT NOT NULL REFERENCES technicians (id),
    service_id     TEXT REFERENCES services (id) ON DELETE SET NULL,
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'confirmed', 'completed', 'cancelled')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_org_tech_idx ON appointments (org_id, technician_id, starts_at);

CREATE TABLE invoices (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id         TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    appointment_id  TEXT REFERENCES appointments (id) ON DELETE SET NULL,
    number          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'paid', 'void')),
    currency        TEXT NOT NULL,
    subtotal_cents  BIGINT NOT NULL CHECK (subtotal_cents >= 0),
    tax_cents       BIGINT NOT NULL CHECK (tax_cents >= 0),
    total_cents     BIGINT NOT NULL CHECK (total_cents >= 0),
    due_at          BIGINT,
    payment_url     TEXT,
    sent_at         BIGINT,
    paid_at         BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX invoices_org_number_key ON invoices (org_id, number);
CREATE INDEX invoices_org_lead_idx ON invoices (org_id, lead_id);

CREATE TABLE invoice_lines (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    invoice_id        TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position          BIGINT NOT NULL,
    description       TEXT NOT NULL,
    quantity_milli    BIGINT NOT NULL CHECK (quantity_milli > 0),
    unit_price_cents  BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    amount_cents      BIGINT NOT NULL CHECK (amount_cents >= 0)
);
CREATE UNIQUE INDEX invoice_lines_org_invoice_pos_key ON invoice_lines (org_id, invoice_id, position);

CREATE TABLE agent_runs (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id            TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    current_agent      TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('running', 'waiting_customer', 'waiting_approval',
                         'waiting_completion', 'done', 'escalated', 'failed')),
    handoffs           BIGINT NOT NULL DEFAULT 0,
    turns              BIGINT NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cost_micros        BIGINT NOT NULL DEFAULT 0,
    started_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    finished_at        BIGINT
);
CREATE INDEX agent_runs_org_lead_idx ON agent_runs (org_id, lead_id);

CREATE TABLE run_steps (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    run_id              TEXT NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
    seq                 BIGINT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('model_call', 'tool_call', 'handoff', 'escalation', 'note')),
    agent               TEXT NOT NULL,
    payload             TEXT NOT NULL,
    input_tokens        BIGINT NOT NULL DEFAULT 0,
    output_tokens       BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens   BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens  BIGINT NOT NULL DEFAULT 0,
    cost_micros         BIGINT NOT NULL DEFAULT 0,
    latency_ms          BIGINT NOT NULL DEFAULT 0,
    prompt_version      TEXT,
    created_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX run_steps_org_run_seq_key ON run_steps (org_id, run_id, seq);

CREATE TABLE escalations (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    lead_id          TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    run_id           TEXT REFERENCES agent_runs (id) ON DELETE SET NULL,
    kind             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    proposed_action  TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    decision_note    TEXT,
    timeout_at       BIGINT,
    timeout_policy   TEXT NOT NULL DEFAULT 'reject' CHECK (timeout_policy IN ('approve', 'reject', 'keep')),
    created_at       BIGINT NOT NULL,
    decided_at       BIGINT
);
CREATE INDEX escalations_org_status_idx ON escalations (org_id, status, created_at);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    max_attempts     BIGINT NOT NULL DEFAULT 8,
    run_at           BIGINT NOT NULL,
    locked_until     BIGINT,
    last_error       TEXT,
    idempotency_key  TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX jobs_org_status_idx ON jobs (org_id, status, run_at);
-- The worker claims across tenants, oldest due first.
CREATE INDEX jobs_claim_idx ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_org_idempotency_key ON jobs (org_id, idempotency_key);

CREATE TABLE side_effects (
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('started', 'done', 'failed')),
    request_hash     TEXT NOT NULL,
    response         TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (org_id, idempotency_key)
);

CREATE TABLE inbound_events (
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, provider, event_id)
);
CREATE INDEX inbound_events_received_idx ON inbound_events (received_at);

CREATE TABLE integrations (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    provider            TEXT NOT NULL CHECK (provider IN ('gmail', 'google_calendar', 'stripe', 'twilio', 'smtp')),
    status              TEXT NOT NULL CHECK (status IN ('pending', 'connected', 'error', 'disconnected')),
    account_label       TEXT,
    credentials_sealed  TEXT,
    config              TEXT NOT NULL DEFAULT '{}',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX integrations_org_provider_key ON integrations (org_id, provider);

CREATE TABLE usage (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    day            TEXT NOT NULL,
    leads          BIGINT NOT NULL DEFAULT 0,
    model_calls    BIGINT NOT NULL DEFAULT 0,
    input_tokens   BIGINT NOT NULL DEFAULT 0,
    output_tokens  BIGINT NOT NULL DEFAULT 0,
    cost_micros    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);

-- The database refuses two live appointments for one technician with overlapping [start, end).
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    org_id WITH =, technician_id WITH =, int8range(starts_at, ends_at) WITH &&
) WHERE (status <> 'cancelled');

-- Row-level security is the second wall behind the repositories' own org_id filters. The
-- application connects, then `SET ROLE opsquad_app`: a role that owns nothing and cannot bypass
-- RLS. TenantTx sets `app.org_id` transaction-locally; the auth lookups (log-in by email, API key by
-- hash, session by id) set `app.auth_lookup` instead and reach only the four auth tables.
DO $$
BEGIN
    CREATE ROLE opsquad_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'opsquad_app', 'MEMBER') THEN
        EXECUTE format('GRANT opsquad_app TO %I', current_user);
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO opsquad_app;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN SELECT unnest(ARRAY['users', 'sessions', 'api_keys', 'business_settings', 'services',
        'technicians', 'customers', 'leads', 'messages', 'appointments', 'invoices', 'invoice_lines',
        'agent_runs', 'run_steps', 'escalations', 'jobs', 'side_effects', 'inbound_events',
        'integrations', 'usage'])
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO opsquad_app', t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (org_id = current_setting('app.org_id', true))
            WITH CHECK (org_id = current_setting('app.org_id', true))$p$, t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON orgs TO opsquad_app;
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orgs
    USING (id = current_setting('app.org_id', true))
    WITH CHECK (id = current_setting('app.org_id', true));

DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN SELECT unnest(ARRAY['orgs', 'users', 'sessions', 'api_keys']) LOOP
        EXECUTE format($p$CREATE POLICY auth_lookup ON %I
            USING (current_setting('app.auth_lookup', true) = 'on')
            WITH CHECK (current_setting('app.auth_lookup', true) = 'on')$p$, t);
    END LOOP;
END
$$;
