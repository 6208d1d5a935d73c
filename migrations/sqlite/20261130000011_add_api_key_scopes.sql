-- What an API key may touch: `inbound` (hand in inquiries only), `read` (read, change nothing) or
-- `full` (everything its role allows). Keys made before scopes keep full access.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'full' CHECK (scope IN ('inbound', 'read', 'full'));
