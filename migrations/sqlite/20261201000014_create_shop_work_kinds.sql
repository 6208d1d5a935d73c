-- A shop's own kinds of work (issue 14): defined with a service (`kind_name`, `trade`, `words`)
-- when nothing in the work catalogue fits. The key (`shop_…`) is what services and technicians'
-- skills point at; `words` is a JSON array of the phrases customers use for it.
CREATE TABLE shop_work_kinds (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    trade       TEXT NOT NULL CHECK (trade IN ('hvac', 'plumbing', 'electrical')),
    name        TEXT NOT NULL,
    words       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX shop_work_kinds_org_key ON shop_work_kinds (org_id, key);
