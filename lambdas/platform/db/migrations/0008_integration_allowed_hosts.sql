-- Hosts an end user may choose (issue 14). A provider URL that takes its host from connection
-- config (`https://${connectionConfig.hostname}/oauth/token`) sends the integration's secret to
-- that host; the end user may fill such a value only with a host on this list. Entries are
-- `git.acme.example` (that host) or `*.acme.example` (any host under it). Empty: end users choose
-- no host; the backend's connect session defaults still may.
ALTER TABLE integrations ADD COLUMN allowed_hosts text[] NOT NULL DEFAULT '{}';
