-- The browser relay (issue 18): one row per open WebSocket of the frontend SDK. `id` is the
-- ws_client_id the socket is told in its connection_ack; it is a capability, so the first connect
-- session that uses it is recorded and no other may have results delivered to it.
-- API Gateway ends any WebSocket after 2 hours: a row is dead by `expires_at` even if its
-- $disconnect never arrived, and the expired-sessions sweep deletes it.
CREATE TABLE websocket_clients (
  id                 uuid PRIMARY KEY,
  -- API Gateway's connection id (the management API's @connections/{id}).
  connection_id      text NOT NULL UNIQUE,
  -- The connect session whose flow first used this client; NULL until then.
  connect_session_id uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL
);
CREATE INDEX websocket_clients_expires_at ON websocket_clients (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON websocket_clients TO latchkey_connect;
-- UPDATE only for the batched deletes' FOR UPDATE SKIP LOCKED row locks.
GRANT SELECT, UPDATE, DELETE ON websocket_clients TO latchkey_sweeps;
