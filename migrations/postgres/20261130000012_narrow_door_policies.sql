-- The doors that read before a tenant is known get exactly the commands their code runs, no more
-- (finding 11 of issue 13). Each was `FOR ALL`, which let a bug in a door write any org's rows.
--
-- auth_lookup: log-in, sessions, API keys and invitations. Sign-up and invitation acceptance
-- write only after entering the new member's org, under tenant_isolation.
DROP POLICY auth_lookup ON orgs;
CREATE POLICY auth_lookup ON orgs FOR SELECT
    USING (current_setting('app.auth_lookup', true) = 'on');
DROP POLICY auth_lookup ON users;
CREATE POLICY auth_lookup ON users FOR SELECT
    USING (current_setting('app.auth_lookup', true) = 'on');
-- The session store creates, reads, renews and deletes sessions by their hash: every command.
DROP POLICY auth_lookup ON sessions;
CREATE POLICY auth_lookup ON sessions FOR ALL
    USING (current_setting('app.auth_lookup', true) = 'on')
    WITH CHECK (current_setting('app.auth_lookup', true) = 'on');
DROP POLICY auth_lookup ON api_keys;
CREATE POLICY auth_lookup_read ON api_keys FOR SELECT
    USING (current_setting('app.auth_lookup', true) = 'on');
CREATE POLICY auth_lookup_touch ON api_keys FOR UPDATE
    USING (current_setting('app.auth_lookup', true) = 'on')
    WITH CHECK (current_setting('app.auth_lookup', true) = 'on');
DROP POLICY auth_lookup ON invitations;
CREATE POLICY auth_lookup_read ON invitations FOR SELECT
    USING (current_setting('app.auth_lookup', true) = 'on');
CREATE POLICY auth_lookup_accept ON invitations FOR UPDATE
    USING (current_setting('app.auth_lookup', true) = 'on')
    WITH CHECK (current_setting('app.auth_lookup', true) = 'on');

-- The worker claims and finishes jobs, finds escalations past their timeout, and deletes memory
-- past its retention.
DROP POLICY worker_claim ON jobs;
CREATE POLICY worker_claim_read ON jobs FOR SELECT
    USING (current_setting('app.worker', true) = 'on');
CREATE POLICY worker_claim_update ON jobs FOR UPDATE
    USING (current_setting('app.worker', true) = 'on')
    WITH CHECK (current_setting('app.worker', true) = 'on');
DROP POLICY worker_timeouts ON escalations;
CREATE POLICY worker_timeouts ON escalations FOR SELECT
    USING (current_setting('app.worker', true) = 'on');
DROP POLICY worker_retention ON memories;
CREATE POLICY worker_retention_read ON memories FOR SELECT
    USING (current_setting('app.worker', true) = 'on');
CREATE POLICY worker_retention_delete ON memories FOR DELETE
    USING (current_setting('app.worker', true) = 'on');
