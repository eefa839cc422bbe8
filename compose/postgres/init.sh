#!/bin/sh
# Runs once when the compose PostgreSQL is first initialised: the outbox table, the publication
# Debezium reads, and the connector's role (REPLICATION, plus pg_monitor for the exporter).
set -eu
psql -v ON_ERROR_STOP=1 -U postgres -d inventory -v pw="$DEBEZIUM_PASSWORD" <<'SQL'
CREATE ROLE debezium LOGIN REPLICATION PASSWORD :'pw';
GRANT pg_monitor TO debezium;
CREATE TABLE public.outbox (
  id            uuid PRIMARY KEY,
  aggregatetype text NOT NULL,
  aggregateid   text NOT NULL,
  type          text NOT NULL,
  payload       jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_created_at_idx ON public.outbox (created_at);
ALTER TABLE public.outbox OWNER TO debezium;
CREATE PUBLICATION dbz_publication FOR TABLE public.outbox;
ALTER PUBLICATION dbz_publication OWNER TO debezium;
SQL
