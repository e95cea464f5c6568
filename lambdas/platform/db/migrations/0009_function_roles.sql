-- One database role per function (issue 15, item 9): each function signs in with its own secret
-- and can touch only the tables its code uses; the master user runs migrations alone.
-- The deploy (lambdas/functions/migrate) gives each role its password from the function's secret;
-- until then a role has none and cannot sign in. Roles are cluster-wide, grants are per database:
-- creation tolerates another database (or a concurrent runner) having created the role already.
-- A migration that adds a table must grant it to the roles whose code uses it.
DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['latchkey_api', 'latchkey_connect', 'latchkey_sweeps', 'latchkey_webhooks', 'latchkey_bootstrap'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', role_name);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO latchkey_api, latchkey_connect, latchkey_sweeps, latchkey_webhooks, latchkey_bootstrap;

-- The secret-key REST API: every resource of the Nango API.
GRANT SELECT, INSERT, UPDATE ON api_keys, audit_events, deployment_keys, integrations, outbox, sync_runs, syncs TO latchkey_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON connect_sessions, connections, end_users, providers, records TO latchkey_api;
GRANT SELECT, UPDATE ON environments, webhook_circuits, webhook_targets TO latchkey_api;
GRANT SELECT ON webhook_deliveries, schema_migrations TO latchkey_api;
GRANT USAGE ON SEQUENCE records_cursor_seq TO latchkey_api;

-- End users' connect flows: sessions, OAuth state, new connections and their events.
GRANT SELECT, INSERT, UPDATE ON api_keys, connections, deployment_keys, integrations TO latchkey_connect;
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_sessions, providers TO latchkey_connect;
GRANT SELECT, INSERT ON audit_events, outbox TO latchkey_connect;
GRANT SELECT ON connect_sessions, end_users, environments TO latchkey_connect;
-- The trigger on connections.deleted_at (0005) cancels the connection's running sync runs.
GRANT SELECT, UPDATE ON sync_runs TO latchkey_connect;

-- Scheduled sweeps: retention, expiry, orphan clean-up and proactive refresh.
GRANT SELECT, INSERT, UPDATE ON api_keys, deployment_keys, syncs TO latchkey_sweeps;
GRANT SELECT, INSERT, UPDATE, DELETE ON audit_events, connections, end_users, integrations, outbox, providers TO latchkey_sweeps;
GRANT SELECT, UPDATE, DELETE ON records TO latchkey_sweeps;
-- UPDATE only for the batched deletes' FOR UPDATE SKIP LOCKED row locks; the sweeps change no column.
GRANT SELECT, UPDATE, DELETE ON connect_sessions, oauth_sessions TO latchkey_sweeps;
GRANT SELECT, UPDATE ON sync_runs TO latchkey_sweeps;
GRANT SELECT ON environments, webhook_targets TO latchkey_sweeps;

-- Webhook delivery from the outbox: targets, circuits and the attempt log; nothing else.
GRANT SELECT, UPDATE ON outbox TO latchkey_webhooks;
GRANT SELECT, INSERT, UPDATE ON webhook_circuits, webhook_targets TO latchkey_webhooks;
GRANT SELECT, INSERT ON webhook_deliveries TO latchkey_webhooks;
GRANT SELECT ON connections, environments TO latchkey_webhooks;

-- The deploy-time first secret keys: hashes of new keys, the pepper, and their audit rows.
GRANT SELECT, INSERT, UPDATE ON api_keys, deployment_keys TO latchkey_bootstrap;
GRANT SELECT, INSERT ON audit_events TO latchkey_bootstrap;
GRANT SELECT ON environments TO latchkey_bootstrap;
