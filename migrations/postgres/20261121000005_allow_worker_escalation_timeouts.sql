-- Escalations that pass their timeout get their kind's fallback decision from the worker, which
-- finds them across tenants (PostgreSQL adds a worker-only RLS policy; SQLite has no RLS).
CREATE INDEX escalations_timeout_idx ON escalations (status, timeout_at);
CREATE POLICY worker_timeouts ON escalations
    USING (current_setting('app.worker', true) = 'on');
