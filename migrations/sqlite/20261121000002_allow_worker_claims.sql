-- PostgreSQL adds a row-level-security policy for the job worker here. SQLite has no RLS; this
-- file keeps both migration sets in step.
SELECT 1;
