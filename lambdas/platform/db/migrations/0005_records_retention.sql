-- Records cache and retention (issue 9).

-- A record's stable identity for its envelope binding and the API cursor: a uuid derived in code
-- from (connection row id, model, external id), so an upsert can seal the payload before it knows
-- whether the row exists. Rows written before this migration (none: nothing wrote records) get a random one.
ALTER TABLE records ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
-- ADDED | UPDATED | DELETED, as `_nango_metadata.last_action`.
ALTER TABLE records ADD COLUMN last_action text NOT NULL DEFAULT 'ADDED' CHECK (last_action IN ('ADDED', 'UPDATED', 'DELETED'));
-- The stale-sync sweep deletes a sync's records by (connection, sync).
CREATE INDEX records_sync ON records (connection_id, sync_name) WHERE sync_name IS NOT NULL;
-- `GET /records?modified_after=` within one connection and model.
CREATE INDEX records_modified ON records (connection_id, model, updated_at);

-- One row per sync of a connection: when it last ran (a run reported, or records written), which
-- the 60-day rule reads without scanning sync_runs or records.
CREATE TABLE syncs (
  connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  name text NOT NULL,
  last_executed_at timestamptz NOT NULL,
  last_success_at timestamptz,
  -- Set when the 60-day rule deleted its records: the next run starts from nothing.
  records_reset_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, name)
);
CREATE INDEX syncs_last_executed ON syncs (last_executed_at);

-- Deleting a connection cancels its running sync runs.
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check CHECK (status IN ('running', 'success', 'error', 'cancelled'));

-- `DELETE /connections/{id}?purge=true`: due for hard deletion at once, whatever the retention.
ALTER TABLE connections ADD COLUMN purge_requested_at timestamptz;

-- Deleted integrations are hard-deleted by the orphan sweep once their retention has passed.
CREATE INDEX integrations_deleted_at ON integrations (deleted_at) WHERE deleted_at IS NOT NULL;
-- End users are deleted with their last connection; the check looks connections up by end user.
CREATE INDEX connections_end_user ON connections (end_user_id) WHERE end_user_id IS NOT NULL;

-- Soft delete cancels the connection's scheduled work, whichever statement deletes it (the
-- DELETE route, an integration's deletion, the orphan sweep): running sync runs end as
-- `cancelled` and a held refresh lease is released. The proactive refresh and the records routes
-- already skip deleted rows.
CREATE FUNCTION cancel_deleted_connection_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sync_runs SET status = 'cancelled', finished_at = NEW.deleted_at WHERE connection_id = NEW.id AND status = 'running';
  NEW.refresh_lease_until := NULL;
  NEW.refresh_lease_holder := NULL;
  RETURN NEW;
END
$$;
CREATE TRIGGER connections_cancel_work_on_delete
  BEFORE UPDATE OF deleted_at ON connections
  FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
  EXECUTE FUNCTION cancel_deleted_connection_work();
