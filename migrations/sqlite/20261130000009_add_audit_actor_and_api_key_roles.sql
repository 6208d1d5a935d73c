-- The audit log names the API key that made a change when no person did.
ALTER TABLE audit_log ADD COLUMN api_key_id TEXT REFERENCES api_keys (id) ON DELETE SET NULL;

-- An API key acts with the role its owner gave it: `owner` (every operation) or `staff` (the
-- pipeline, not budgets, guardrails, models, team or keys). Keys made before roles keep owner rights.
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'staff'));
