-- Connections, for the Nango-compatible API: Nango's connection `id` is a number (the SDK types
-- say so), ours are uuids (the envelopes are bound to them), so each row also gets a stable,
-- never-reused integer that the API exposes as `id`; it also orders the listing (creation order).
ALTER TABLE connections ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX connections_seq ON connections (seq);
CREATE INDEX connections_environment_seq ON connections (environment_id, seq) WHERE deleted_at IS NULL;

-- Per-connection webhook target (`webhook_url_override` of import, PATCH and connect sessions).
ALTER TABLE connections ADD COLUMN webhook_url_override text;
