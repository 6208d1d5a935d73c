-- PostgreSQL narrows its row-level-security policies for the doors that act before a tenant is
-- known (auth lookups, the worker). SQLite has no row-level security; the migration sets stay
-- file-for-file alike.
SELECT 1;
