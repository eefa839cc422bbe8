//! Pure: the rows one poll read ([`client`](super::client)) → what it saw ([`model`](super::model)).
//! The one thing carried from poll to poll is the [`InactivityClock`], for servers that do not
//! say how long a slot has been inactive.

use std::collections::HashMap;
use std::time::Instant;

use super::client::{OutboxRow, SlotRow, WalRow};
use super::error::PostgresError;
use super::model::{DatabaseState, OutboxState, Progress, Slot};

/// Measures how long slots have been inactive on servers that do not say (before 17).
#[derive(Debug, Default)]
pub struct InactivityClock {
    inactive_since: HashMap<String, Instant>,
}

impl InactivityClock {
    /// Seconds the slot has been seen inactive; 0 while active. `reported` is the server's own
    /// figure (17+), which wins when present.
    pub fn observe(&mut self, slot: &str, active: bool, reported: Option<f64>, now: Instant) -> f64 {
        if active {
            self.inactive_since.remove(slot);
            return 0.0;
        }
        if let Some(seconds) = reported {
            return seconds.max(0.0);
        }
        let since = *self.inactive_since.entry(slot.to_owned()).or_insert(now);
        now.duration_since(since).as_secs_f64()
    }

    /// Forgets slots that were dropped, so a re-created one starts from 0.
    pub fn retain(&mut self, present: &[Slot]) {
        self.inactive_since.retain(|name, _| present.iter().any(|slot| &slot.name == name));
    }
}

/// The slots read at `now`; the clock measures the inactive ones and forgets dropped ones.
pub fn slots(rows: Vec<SlotRow>, clock: &mut InactivityClock, now: Instant) -> Vec<Slot> {
    let slots: Vec<Slot> = rows
        .into_iter()
        .map(|row| Slot {
            inactive_seconds: clock.observe(&row.name, row.active, row.inactive_seconds, now),
            name: row.name,
            slot_type: row.slot_type,
            plugin: row.plugin.unwrap_or_default(),
            database: row.database.unwrap_or_default(),
            active: row.active,
            active_pid: row.active_pid,
            restart_lsn: row.restart_lsn,
            confirmed_flush_lsn: row.confirmed_flush_lsn,
            wal_status: row.wal_status,
            safe_wal_size_bytes: row.safe_wal_size,
            database_changes: row.database_changes,
            progress: Progress::default(),
        })
        .collect();
    clock.retain(&slots);
    slots
}

/// One outbox table's figures, never negative.
pub fn outbox(table: &str, row: OutboxRow, unpublished: Option<i64>) -> OutboxState {
    OutboxState {
        table: table.to_owned(),
        rows: row.rows.max(0) as u64,
        oldest_age_seconds: row.oldest_age_seconds.map(|age| age.max(0.0)),
        unpublished: unpublished.map(|count| count.max(0) as u64),
    }
}

/// The database as one poll saw it, its outbox tables still to come; a server that knows no
/// WAL position fails the poll before they are counted.
pub fn database(wal: WalRow, slots: Vec<Slot>) -> Result<DatabaseState, PostgresError> {
    Ok(DatabaseState {
        current_lsn: wal.current_lsn.ok_or(PostgresError::NoCurrentWalPosition)?,
        max_slot_wal_keep_size_bytes: wal.max_slot_wal_keep_size_bytes,
        slots,
        outbox: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn inactivity_is_measured_when_the_server_does_not_say() {
        let mut clock = InactivityClock::default();
        let start = Instant::now();
        assert_eq!(clock.observe("s", true, None, start), 0.0);
        assert_eq!(clock.observe("s", false, None, start + Duration::from_secs(10)), 0.0);
        assert_eq!(clock.observe("s", false, None, start + Duration::from_secs(25)), 15.0);
        assert_eq!(clock.observe("s", false, Some(300.0), start + Duration::from_secs(25)), 300.0, "17+ wins");
        assert_eq!(clock.observe("s", true, None, start + Duration::from_secs(30)), 0.0);
        assert_eq!(
            clock.observe("s", false, None, start + Duration::from_secs(40)),
            0.0,
            "restarts when inactive again"
        );
        clock.retain(&[]);
        assert_eq!(
            clock.observe("s", false, None, start + Duration::from_secs(50)),
            0.0,
            "dropped slots are forgotten"
        );
    }

    fn row(name: &str, active: bool) -> SlotRow {
        SlotRow {
            name: name.to_owned(),
            slot_type: "physical".to_owned(),
            plugin: None,
            database: None,
            active,
            active_pid: None,
            restart_lsn: Some(9_000),
            confirmed_flush_lsn: None,
            wal_status: None,
            safe_wal_size: None,
            inactive_seconds: None,
            database_changes: None,
        }
    }

    #[test]
    fn rows_become_slots_and_the_clock_follows_them() {
        let mut clock = InactivityClock::default();
        let start = Instant::now();
        let seen = slots(vec![row("standby_1", true), row("gone", false)], &mut clock, start);
        assert_eq!(
            seen[0],
            Slot { wal_status: None, ..Slot::physical("standby_1", 9_000) },
            "NULL plugin and database: empty"
        );
        assert_eq!(seen[1].inactive_seconds, 0.0);
        let later = start + Duration::from_secs(5);
        assert_eq!(slots(vec![row("gone", false)], &mut clock, later)[0].inactive_seconds, 5.0);
        assert!(slots(Vec::new(), &mut clock, later).is_empty());
        assert_eq!(slots(vec![row("gone", false)], &mut clock, later)[0].inactive_seconds, 0.0, "dropped, forgotten");
    }

    #[test]
    fn figures_are_never_negative_and_a_wal_position_is_required() {
        let state = outbox("public.outbox", OutboxRow { rows: -1, oldest_age_seconds: Some(-0.5) }, Some(-2));
        assert_eq!((state.rows, state.oldest_age_seconds, state.unpublished), (0, Some(0.0), Some(0)));
        let wal = WalRow { in_recovery: true, current_lsn: None, max_slot_wal_keep_size_bytes: None };
        let error = database(wal, Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), "the server reports no current WAL position");
        let wal = WalRow { in_recovery: false, current_lsn: Some(7), max_slot_wal_keep_size_bytes: Some(-1.0) };
        let state = database(wal, Vec::new()).unwrap();
        assert_eq!((state.current_lsn, state.max_slot_wal_keep_size_bytes), (7, Some(-1.0)));
    }
}
