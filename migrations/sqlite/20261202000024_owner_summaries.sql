-- Email (issue 17): every shop's owners get a summary each morning, queued per org by the
-- worker's housekeeping. (PostgreSQL opens its worker door to the org list; SQLite has no door.)
SELECT 1;
