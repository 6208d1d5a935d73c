-- The trace a job was queued in (issue 20), as a W3C `traceparent`: when traces are exported, the
-- job's span continues that trace on whichever instance runs it. NULL when traces are off.
ALTER TABLE jobs ADD COLUMN trace_parent TEXT;
