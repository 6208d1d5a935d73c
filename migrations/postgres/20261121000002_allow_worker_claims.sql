-- The job worker claims due jobs across tenants before it knows whose they are. It sets
-- `app.worker` transaction-locally (store::jobs) and this policy lets it see and update `jobs`
-- rows only; every other table stays closed to it, and each job then runs in its own tenant's
-- transaction.
CREATE POLICY worker_claim ON jobs
    USING (current_setting('app.worker', true) = 'on')
    WITH CHECK (current_setting('app.worker', true) = 'on');
