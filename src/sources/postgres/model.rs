//! What one poll saw of one database: its WAL position, its replication slots, its outbox tables.

use crate::join::Facts;

/// What one poll saw of one database.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatabaseState {
    /// The current WAL position (on a standby: last received, else last replayed).
    pub current_lsn: u64,
    /// `max_slot_wal_keep_size` in bytes, -1 for unlimited; `None` before PostgreSQL 13.
    pub max_slot_wal_keep_size_bytes: Option<f64>,
    pub slots: Vec<Slot>,
    pub outbox: Vec<OutboxState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub name: String,
    /// `logical` or `physical`.
    pub slot_type: String,
    /// Output plugin; empty for physical slots.
    pub plugin: String,
    /// Database of a logical slot; empty for physical slots.
    pub database: String,
    pub active: bool,
    /// The process holding the slot, while active: shared with the joins, so `check` can say
    /// who holds a connector's slot.
    pub active_pid: Option<i32>,
    pub restart_lsn: Option<u64>,
    pub confirmed_flush_lsn: Option<u64>,
    /// `reserved`, `extended`, `unreserved` or `lost`; `None` before 13.
    pub wal_status: Option<String>,
    pub safe_wal_size_bytes: Option<i64>,
    /// 0 while active.
    pub inactive_seconds: f64,
    /// The slot's database's own row changes so far (`pg_stat_database`); `None` for physical slots.
    pub database_changes: Option<i64>,
    /// How `confirmed_flush_lsn` moves from poll to poll ([`ProgressClock`](super::progress::ProgressClock)).
    pub progress: Progress,
}

/// Whether a slot's consumer keeps up with its database, measured across polls.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progress {
    /// Seconds the confirmed position has stood still (since this exporter first saw it).
    pub still_seconds: f64,
    /// The database changed rows of its own since the confirmed position last moved.
    pub changed_since: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxState {
    pub table: String,
    /// Counted up to the cap.
    pub rows: u64,
    /// `None` when the table is empty.
    pub oldest_age_seconds: Option<f64>,
    /// Rows newer than the newest published event, up to the cap; `None` when not known.
    pub unpublished: Option<u64>,
}

impl DatabaseState {
    /// How far `lsn` trails the current position, in bytes.
    pub(super) fn lag_bytes(&self, lsn: Option<u64>) -> Option<f64> {
        // A standby's receive position can trail a slot synced from elsewhere: never negative.
        lsn.map(|lsn| self.current_lsn.saturating_sub(lsn) as f64)
    }
}

impl Slot {
    /// The position the consumer has confirmed: `confirmed_flush_lsn` for logical slots,
    /// `restart_lsn` for physical ones.
    pub(super) fn confirmed_lsn(&self) -> Option<u64> {
        if self.slot_type == "logical" { self.confirmed_flush_lsn } else { self.restart_lsn }
    }

    /// The Debezium connector that reads this slot, if one of the configured ones does.
    pub(super) fn claiming_connector<'a>(&self, facts: &'a Facts) -> Option<&'a str> {
        facts
            .debezium_connectors
            .iter()
            .find(|connector| connector.slot == self.name && connector.database == self.database)
            .map(|connector| connector.connector.as_str())
    }
}

/// Test builders.
#[cfg(test)]
impl Slot {
    /// A pgoutput slot of database `inventory` that confirmed 4000 and retains from 1000,
    /// `extended`; inactive for 42 s unless `active`.
    pub(super) fn logical(name: &str, active: bool) -> Slot {
        Slot {
            name: name.to_owned(),
            slot_type: "logical".to_owned(),
            plugin: "pgoutput".to_owned(),
            database: "inventory".to_owned(),
            active,
            active_pid: None,
            restart_lsn: Some(1_000),
            confirmed_flush_lsn: Some(4_000),
            wal_status: Some("extended".to_owned()),
            safe_wal_size_bytes: None,
            inactive_seconds: if active { 0.0 } else { 42.0 },
            database_changes: Some(0),
            progress: Progress::default(),
        }
    }

    /// A physical slot (a standby's) that retains from `restart_lsn`.
    pub(super) fn physical(name: &str, restart_lsn: u64) -> Slot {
        Slot {
            slot_type: "physical".to_owned(),
            plugin: String::new(),
            database: String::new(),
            confirmed_flush_lsn: None,
            database_changes: None,
            restart_lsn: Some(restart_lsn),
            ..Slot::logical(name, true)
        }
    }
}
