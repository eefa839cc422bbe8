//! Whether a slot's consumer keeps up, measured across polls: how long its confirmed position
//! has stood still, and whether its database changed rows of its own meanwhile. One poll sees
//! only positions; a stalled consumer and an idle one look alike in it (both confirm nothing
//! while the server writes WAL, the idle one because nothing of its database was written).

use std::collections::HashMap;
use std::time::Instant;

use super::model::{Progress, Slot};

/// Where a slot's confirmed position last moved: when, and the database's change count then.
#[derive(Debug)]
struct Mark {
    confirmed: Option<u64>,
    since: Instant,
    changes: Option<i64>,
}

/// Remembers, per slot, where its confirmed position last moved.
#[derive(Debug, Default)]
pub struct ProgressClock {
    marks: HashMap<String, Mark>,
}

impl ProgressClock {
    /// Fills each slot's [`Progress`] at `now` and forgets dropped slots. A slot seen for the
    /// first time has stood still for 0 s: the exporter does not know for how long before.
    pub fn observe(&mut self, slots: &mut [Slot], now: Instant) {
        for slot in slots.iter_mut() {
            let confirmed = slot.confirmed_lsn();
            let mark = self.marks.entry(slot.name.clone()).or_insert(Mark {
                confirmed,
                since: now,
                changes: slot.database_changes,
            });
            if mark.confirmed != confirmed {
                *mark = Mark { confirmed, since: now, changes: slot.database_changes };
            }
            let changed_since = match (mark.changes, slot.database_changes) {
                (Some(then), Some(current)) if current < then => {
                    // Statistics were reset: count from here.
                    mark.changes = Some(current);
                    false
                }
                (Some(then), Some(current)) => current > then,
                _ => false,
            };
            slot.progress = Progress { still_seconds: now.duration_since(mark.since).as_secs_f64(), changed_since };
        }
        self.marks.retain(|name, _| slots.iter().any(|slot| &slot.name == name));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn slot(confirmed: u64, changes: i64) -> Slot {
        Slot {
            confirmed_flush_lsn: Some(confirmed),
            database_changes: Some(changes),
            ..Slot::logical("debezium", true)
        }
    }

    #[test]
    fn a_still_position_ages_and_notices_the_databases_own_changes() {
        let mut clock = ProgressClock::default();
        let start = Instant::now();
        let at = |seconds| start + Duration::from_secs(seconds);

        let mut slots = [slot(100, 7)];
        clock.observe(&mut slots, at(0));
        assert_eq!(slots[0].progress, Progress { still_seconds: 0.0, changed_since: false }, "first sight");

        let mut slots = [slot(100, 7)];
        clock.observe(&mut slots, at(60));
        assert_eq!(slots[0].progress, Progress { still_seconds: 60.0, changed_since: false }, "idle");

        let mut slots = [slot(100, 9)];
        clock.observe(&mut slots, at(120));
        assert_eq!(slots[0].progress, Progress { still_seconds: 120.0, changed_since: true }, "writes wait");

        let mut slots = [slot(200, 9)];
        clock.observe(&mut slots, at(180));
        assert_eq!(slots[0].progress, Progress { still_seconds: 0.0, changed_since: false }, "it moved");

        let mut slots = [slot(200, 3)];
        clock.observe(&mut slots, at(240));
        assert!(!slots[0].progress.changed_since, "a statistics reset is not a change");
        let mut slots = [slot(200, 4)];
        clock.observe(&mut slots, at(300));
        assert_eq!(slots[0].progress, Progress { still_seconds: 120.0, changed_since: true });

        clock.observe(&mut [], at(360));
        let mut slots = [slot(200, 4)];
        clock.observe(&mut slots, at(420));
        assert_eq!(slots[0].progress.still_seconds, 0.0, "a dropped slot is forgotten");
    }
}
