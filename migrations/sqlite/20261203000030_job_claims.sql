-- Which instance claimed a job last (issue 20): with several `opsquad serve` processes on one
-- database, an operator (and the two-instance test) can tell who ran what, and who left a lease.
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
