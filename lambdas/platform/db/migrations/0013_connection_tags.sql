-- GET /connections?tags[…]= at scale (issue 20). The GIN index of 0012 finds every connection
-- holding a tag, and the page is then sorted out of all of them: a tag held by 1% of 100,000
-- connections sorts 1,000 rows for a page of 10. Here each live connection's tags are also rows,
-- indexed by (environment, tag, seq): a page of one tag is read in list order and stops at its
-- limit, whatever the environment holds. A tag is keyed by the MD5 of `key=value` (keys cannot
-- hold '='), which keeps index entries small and within a B-tree's entry limit whatever a value
-- holds; two tags of one environment colliding is not a practical concern (its own tags are all
-- the customer's). Values that are not text (JSON null, a document that is not an object: rows no
-- route writes) get no tag row.
CREATE TABLE connection_tags (
  connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  tag uuid NOT NULL,
  environment_id uuid NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (connection_id, tag)
);
CREATE INDEX connection_tags_listing ON connection_tags (environment_id, tag, seq);

-- Kept by a trigger, so every statement that writes tags or deletes a connection (imports,
-- PATCH, connect flows, sweeps) keeps them in step without knowing of this table. It runs as
-- the migration's owner: the functions' roles need no write grant on connection_tags.
CREATE FUNCTION sync_connection_tags() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM connection_tags WHERE connection_id = OLD.id;
  END IF;
  IF NEW.deleted_at IS NULL THEN
    INSERT INTO connection_tags (connection_id, tag, environment_id, seq)
    SELECT DISTINCT NEW.id, CAST(md5(t.key || '=' || t.value) AS uuid), NEW.environment_id, NEW.seq
      FROM jsonb_each_text(CASE WHEN jsonb_typeof(NEW.tags) = 'object' THEN NEW.tags ELSE '{}' END) t
     WHERE t.value IS NOT NULL;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sync_connection_tags() FROM PUBLIC;
CREATE TRIGGER connections_sync_tags_on_insert
  AFTER INSERT ON connections
  FOR EACH ROW WHEN (NEW.tags <> '{}'::jsonb AND NEW.deleted_at IS NULL)
  EXECUTE FUNCTION sync_connection_tags();
CREATE TRIGGER connections_sync_tags_on_update
  AFTER UPDATE OF tags, deleted_at ON connections
  FOR EACH ROW WHEN (OLD.tags IS DISTINCT FROM NEW.tags OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
  EXECUTE FUNCTION sync_connection_tags();

INSERT INTO connection_tags (connection_id, tag, environment_id, seq)
SELECT DISTINCT c.id, CAST(md5(t.key || '=' || t.value) AS uuid), c.environment_id, c.seq
  FROM connections c, jsonb_each_text(CASE WHEN jsonb_typeof(c.tags) = 'object' THEN c.tags ELSE '{}' END) t
 WHERE c.deleted_at IS NULL AND t.value IS NOT NULL;

-- Replaced by connection_tags_listing; dropping it also spares every tag write its upkeep.
DROP INDEX connections_tags;

-- The connections list reads it; the trigger alone writes it.
GRANT SELECT ON connection_tags TO latchkey_api;
