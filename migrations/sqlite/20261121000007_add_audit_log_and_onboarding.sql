-- Who changed what in an org's set-up: every settings, price-list, technician and team change.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_log_org_created_idx ON audit_log (org_id, created_at);

-- The onboarding wizard's saved place: the next step to show, or 'done'. Orgs that existed
-- before the wizard are treated as set up.
ALTER TABLE orgs ADD COLUMN onboarding_step TEXT NOT NULL DEFAULT 'done';
