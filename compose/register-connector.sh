#!/bin/sh
# Registers the outbox connector (the same config as scripts/connectors/outbox-connector.json)
# once Kafka Connect's REST API answers. Exits non-zero until it has, so compose retries it.
set -eu
until curl -fs http://connect:8083/ >/dev/null; do sleep 2; done
curl -fs -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' \
  http://connect:8083/connectors/inventory/config --data @- <<JSON
{
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "tasks.max": "1",
  "plugin.name": "pgoutput",
  "database.hostname": "postgres",
  "database.port": "5432",
  "database.user": "debezium",
  "database.password": "${DEBEZIUM_PASSWORD}",
  "database.dbname": "inventory",
  "topic.prefix": "inventory",
  "slot.name": "dbz_inventory",
  "publication.name": "dbz_publication",
  "publication.autocreate.mode": "disabled",
  "table.include.list": "public.outbox",
  "tombstones.on.delete": "false",
  "transforms": "outbox",
  "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
  "transforms.outbox.table.field.event.key": "aggregateid",
  "transforms.outbox.route.by.field": "aggregatetype",
  "transforms.outbox.route.topic.replacement": "outbox.event.\${routedByValue}",
  "transforms.outbox.table.expand.json.payload": "true"
}
JSON
