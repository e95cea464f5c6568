-- Webhook delivery (issue 7).
--
-- An outbox row is "dispatched" once the webhooks function has turned it into one delivery per
-- target URL (primary, secondary, or the connection's override), or "skipped" when no URL is
-- configured or the event's toggle is off. Each delivery is retried on its own schedule.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
  CHECK (status IN ('pending', 'published', 'dispatched', 'skipped', 'delivered', 'dead'));

-- One event to one URL: its retry state. The API calls these "deliveries"; their attempts are the
-- rows of webhook_deliveries. `window_ends_at` bounds the retries (24 h after dispatch or replay).
CREATE TABLE webhook_targets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  outbox_id uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
  environment_id uuid NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  url text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('primary', 'secondary', 'override')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  window_ends_at timestamptz NOT NULL,
  -- Claimed by an invocation until then: a concurrent re-drive leaves it alone.
  lease_until timestamptz,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  dead_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX webhook_targets_due ON webhook_targets (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_targets_outbox ON webhook_targets (outbox_id);
CREATE INDEX webhook_targets_listing ON webhook_targets (environment_id, created_at DESC, id DESC);

-- The attempt log: which delivery an attempt belongs to, and what came of it.
ALTER TABLE webhook_deliveries ADD COLUMN target_id uuid REFERENCES webhook_targets (id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries ADD COLUMN outcome text CHECK (outcome IN ('delivered', 'retry', 'failed'));
CREATE INDEX webhook_deliveries_target ON webhook_deliveries (target_id, attempt);

-- Per-URL circuit breaker, shared by every invocation: after enough consecutive failures the URL
-- gets no attempt until `open_until`.
CREATE TABLE webhook_circuits (
  environment_id uuid NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  url text NOT NULL,
  consecutive_failures integer NOT NULL DEFAULT 0,
  open_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment_id, url)
);
