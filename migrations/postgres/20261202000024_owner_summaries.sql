-- Email (issue 17): every shop's owners get a summary each morning. The worker's housekeeping
-- finds the orgs whose next summary is not yet queued, so its door may list the orgs (ids only
-- are read); every summary is then written and sent inside that org's own tenant context.
CREATE POLICY worker_summaries ON orgs FOR SELECT
    USING (current_setting('app.worker', true) = 'on');
