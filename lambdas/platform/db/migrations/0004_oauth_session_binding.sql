-- The connect flow's one-time OAuth sessions (issue 6). Rows written before this migration were
-- never usable (no flow existed), so they are dropped rather than back-filled.
DELETE FROM oauth_sessions;

-- One envelope (purpose oauth-session, bound to the row id and the field 'secrets') of
-- {code_verifier?, client_secret_override?, refresh_token_override?}: everything the callback needs
-- that must not sit in the database in clear.
ALTER TABLE oauth_sessions RENAME COLUMN code_verifier TO secrets;

-- SHA-256 of the random value of the state cookie set on the browser that started the flow: the
-- callback must come from that browser, so a victim cannot be made to finish an attacker's flow.
ALTER TABLE oauth_sessions ADD COLUMN browser_binding_hash bytea NOT NULL;

-- Outbox rows of one connection are found by its hard delete; failed creations have none.
CREATE INDEX IF NOT EXISTS outbox_connection ON outbox (connection_id) WHERE connection_id IS NOT NULL;
