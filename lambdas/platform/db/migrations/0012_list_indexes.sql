-- Lists that hold at scale (issue 20): every list query reaches its rows through an index, so a
-- filtered page or a single read of an environment with 100,000 connections costs about what it
-- costs with 1,000. pg_trgm (shipped with PostgreSQL and Aurora; the master user may create it)
-- serves `search`, which matches anywhere in the text.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- GET /connections?search=: the connection id, and the end user's id, email and display name
-- (the same expressions the query matches with LIKE).
CREATE INDEX connections_search ON connections USING gin (lower(connection_id) gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX end_users_search ON end_users
  USING gin ((lower(coalesce(end_user_id, '') || ' ' || coalesce(email, '') || ' ' || coalesce(display_name, ''))) gin_trgm_ops);

-- GET /connections?tags[…]=: containment.
CREATE INDEX connections_tags ON connections USING gin (tags jsonb_path_ops) WHERE deleted_at IS NULL;

-- GET /connections?endUserOrganizationId=.
CREATE INDEX end_users_organization ON end_users (environment_id, organization_id) WHERE organization_id IS NOT NULL;

-- GET /integrations in pages: creation order, ties by id.
CREATE INDEX integrations_listing ON integrations (environment_id, created_at, id) WHERE deleted_at IS NULL;

-- GET /audit-events in pages: newest first, ties by id (the index of 0001 lacks the tie-breaker).
CREATE INDEX audit_events_listing ON audit_events (environment_id, occurred_at DESC, id DESC);
