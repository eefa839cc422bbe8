//! PostgreSQL: replication slots (how much WAL each one holds back, and whether it can still
//! resume), the WAL position, and the backlog of outbox tables.

use super::metric::{Kind, Metric};

const SOURCE: &str = "postgres";

/// Labels of every per-slot series; `connector` is the Debezium connector whose `slot.name`
/// and `database.dbname` match the slot, empty when none does (or no Connect is configured).
const SLOT_LABELS: &[&str] = &["db", "slot", "slot_type", "plugin", "connector"];

pub const REPLICATION_SLOT_LAG_BYTES: Metric = Metric {
    name: "pg_replication_slot_lag_bytes",
    help: "WAL the slot's consumer has not confirmed yet: current LSN minus confirmed_flush_lsn (logical) or restart_lsn (physical). Present whether or not the slot is active.",
    kind: Kind::Gauge,
    labels: SLOT_LABELS,
    source: SOURCE,
};

pub const REPLICATION_SLOT_RETAINED_WAL_BYTES: Metric = Metric {
    name: "pg_replication_slot_retained_wal_bytes",
    help: "WAL the slot forces the server to keep: current LSN minus restart_lsn. Absent when restart_lsn is NULL (lost or never reserved).",
    kind: Kind::Gauge,
    labels: SLOT_LABELS,
    source: SOURCE,
};

pub const REPLICATION_SLOT_ACTIVE: Metric = Metric {
    name: "pg_replication_slot_active",
    help: "1 if a consumer is connected to the slot, else 0.",
    kind: Kind::Gauge,
    labels: SLOT_LABELS,
    source: SOURCE,
};

pub const REPLICATION_SLOT_INACTIVE_SECONDS: Metric = Metric {
    name: "pg_replication_slot_inactive_seconds",
    help: "How long the slot has had no consumer, 0 while active. From inactive_since on PostgreSQL 17+; before 17, measured by the exporter since it last saw the slot active (or first saw the slot), so it restarts at 0 when the exporter does.",
    kind: Kind::Gauge,
    labels: SLOT_LABELS,
    source: SOURCE,
};

pub const REPLICATION_SLOT_WAL_STATUS: Metric = Metric {
    name: "pg_replication_slot_wal_status",
    help: "1 for the slot's wal_status (reserved, extended, unreserved, lost), 0 for the others; PostgreSQL 13+. A lost slot cannot be resumed.",
    kind: Kind::Gauge,
    labels: &["db", "slot", "slot_type", "plugin", "connector", "status"],
    source: SOURCE,
};

pub const REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES: Metric = Metric {
    name: "pg_replication_slot_safe_wal_size_bytes",
    help: "WAL that can still be written before the slot is in danger of becoming lost; PostgreSQL 13+. Absent when max_slot_wal_keep_size is -1 (no limit) or the slot is lost.",
    kind: Kind::Gauge,
    labels: SLOT_LABELS,
    source: SOURCE,
};

pub const SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES: Metric = Metric {
    name: "pg_settings_max_slot_wal_keep_size_bytes",
    help: "The max_slot_wal_keep_size setting; -1 means slots may retain WAL without limit. PostgreSQL 13+.",
    kind: Kind::Gauge,
    labels: &["db"],
    source: SOURCE,
};

pub const WAL_CURRENT_LSN_BYTES: Metric = Metric {
    name: "pg_wal_current_lsn_bytes",
    help: "The current WAL position as a byte offset (on a standby, the last received or replayed); rate() of it is the WAL write rate.",
    kind: Kind::Gauge,
    labels: &["db"],
    source: SOURCE,
};

pub const REPLICATION_SLOT_ORPHANED: Metric = Metric {
    name: "pg_replication_slot_orphaned",
    help: "1 if no Debezium connector of any configured Connect cluster claims this logical slot (slot.name and database.dbname), else 0. Only present when a Connect cluster is configured.",
    kind: Kind::Gauge,
    labels: &["db", "slot"],
    source: SOURCE,
};

pub const OUTBOX_TABLE_ROWS: Metric = Metric {
    name: "outbox_table_rows",
    help: "Rows in the outbox table, counted up to the configured count_cap (default 100000) and no further: a value equal to the cap means at least that many.",
    kind: Kind::Gauge,
    labels: &["db", "table"],
    source: SOURCE,
};

pub const OUTBOX_OLDEST_EVENT_AGE_SECONDS: Metric = Metric {
    name: "outbox_oldest_event_age_seconds",
    help: "Now minus the oldest timestamp_column value in the outbox table; 0 when the table is empty.",
    kind: Kind::Gauge,
    labels: &["db", "table"],
    source: SOURCE,
};

pub const OUTBOX_UNPUBLISHED_EVENTS: Metric = Metric {
    name: "outbox_unpublished_events",
    help: "Outbox rows newer than the newest record on the table's published_topics, or on the topics its connectors' EventRouter routes it to (as the Kafka source last saw them), counted up to count_cap. Absent while no such topic is known.",
    kind: Kind::Gauge,
    labels: &["db", "table"],
    source: SOURCE,
};

pub(super) const ALL: &[&Metric] = &[
    &REPLICATION_SLOT_LAG_BYTES,
    &REPLICATION_SLOT_RETAINED_WAL_BYTES,
    &REPLICATION_SLOT_ACTIVE,
    &REPLICATION_SLOT_INACTIVE_SECONDS,
    &REPLICATION_SLOT_WAL_STATUS,
    &REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES,
    &SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES,
    &WAL_CURRENT_LSN_BYTES,
    &REPLICATION_SLOT_ORPHANED,
    &OUTBOX_TABLE_ROWS,
    &OUTBOX_OLDEST_EVENT_AGE_SECONDS,
    &OUTBOX_UNPUBLISHED_EVENTS,
];
