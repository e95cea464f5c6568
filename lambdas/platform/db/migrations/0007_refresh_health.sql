-- Token refresh health (issue 8).

-- When the current streak of failed refreshes began (NULL while refresh works): the
-- re-authorization rule needs "failures spread over days" without reading updated_at, which other
-- writes (metadata, tags) move.
ALTER TABLE connections ADD COLUMN refresh_failing_since timestamptz;
-- The open refresh incident: the id of the outbox event that reported its first failure (also the
-- `log_id` of the connection's `errors`). One failure webhook per incident; the refresh that
-- succeeds next closes it and reports the recovery.
ALTER TABLE connections ADD COLUMN refresh_incident_id uuid;
-- The proactive-refresh sweep does not look at the connection again before this (NULL: whenever
-- it qualifies): set when a run claims it, and after the check to when it is next due (a day for
-- credentials that cannot be refreshed), so no run re-reads the same connections.
ALTER TABLE connections ADD COLUMN refresh_check_after timestamptz;

-- The sweep's lookup of tokens about to expire, soonest first.
CREATE INDEX connections_refresh_due ON connections (credentials_expires_at)
  WHERE deleted_at IS NULL AND auth_error IS NULL;
