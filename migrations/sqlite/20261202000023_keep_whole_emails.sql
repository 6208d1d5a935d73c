-- Email (issue 17): the squad reads a customer's email without its quoted history and signature,
-- and the record keeps the whole text as it arrived beside what the squad read.
ALTER TABLE messages ADD COLUMN original_body TEXT;
