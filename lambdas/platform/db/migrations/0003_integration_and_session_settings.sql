-- Integration settings of Nango's POST/PATCH /integrations and connect-session options
-- of POST /connect/sessions that 0001 had no column for.

-- `client_secret` holds ONE envelope (purpose integration-secret, bound to the row id and the field
-- name 'client_secret') of a JSON document with every secret of the integration's credentials:
-- {client_secret?, webhook_secret?, private_key?}. Non-secret parts stay in plain columns.
ALTER TABLE integrations
  ADD COLUMN forward_webhooks boolean NOT NULL DEFAULT true,
  ADD COLUMN integration_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN app_id text,
  ADD COLUMN app_link text;
COMMENT ON COLUMN integrations.client_secret IS 'Envelope of {client_secret?, webhook_secret?, private_key?} (JSON), purpose integration-secret, field client_secret';

-- Renames and deletions of an integration look up its live connections.
CREATE INDEX IF NOT EXISTS connections_integration_live ON connections (integration_id) WHERE deleted_at IS NULL;

ALTER TABLE connect_sessions
  -- Per integration: {docs_connect?}.
  ADD COLUMN overrides jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Webhook target for the connection this session creates; NULL means the environment's.
  ADD COLUMN webhook_url_override text;
