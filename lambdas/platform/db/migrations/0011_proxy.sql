-- The proxy function (issue 19): Nango's `/proxy/*`, served by a function of its own that signs in
-- as its own role. It authenticates secret keys, reads a connection with its integration's client
-- and provider, renews due tokens through the single-flight refresh (lease, compare-and-set save,
-- the refresh incident's `auth` event) and audits each call. Nothing else: no records, sessions,
-- or webhook tables.
DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['latchkey_proxy'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', role_name);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO latchkey_proxy;
-- Secret-key authentication records the key's last use.
GRANT SELECT, UPDATE ON api_keys TO latchkey_proxy;
GRANT SELECT ON deployment_keys, environments, integrations, providers TO latchkey_proxy;
-- A refresh incident's `auth` webhook names the connection's end user.
GRANT SELECT ON end_users TO latchkey_proxy;
-- last_fetched_at, the refresh lease, renewed credentials and the refresh health columns.
GRANT SELECT, UPDATE ON connections TO latchkey_proxy;
GRANT SELECT, INSERT ON audit_events, outbox TO latchkey_proxy;
