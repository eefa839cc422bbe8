//! How fresh a Debezium connector's events are, derived at render time from what two sources
//! saw: its streaming and snapshot MBeans (a JMX bridge) and its replication slot (PostgreSQL).
//! The rules, in the order they are tried, are the table in docs/sources.md.
//!
//! Debezium's lag is the lag of the *last* event: it freezes while nothing arrives, whether the
//! database is quiet or the connector stopped reading. Only the slot tells the two apart: a
//! stalled connector leaves its database's own changes unconfirmed; an idle one has none.
//! The server's WAL rate does not: an idle database's slot also falls behind while other
//! databases of the server write WAL.

use std::time::Duration;

use super::facts::SlotHolder;
use crate::catalog::Freshness;

/// Events older than this: nothing arrived lately, the connector is idle (or stalled).
pub const IDLE_AFTER: Duration = Duration::from_secs(60);
/// A recent event this far behind its commit: the connector is lagging.
pub const LAGGING_FROM: Duration = Duration::from_secs(60);
/// The slot's confirmed position still this long while its database changed: stalled. Debezium
/// confirms when Connect commits offsets (`offset.flush.interval.ms`, 60 s by default), so a
/// healthy connector's position moves at least that often while there are changes.
pub const STALLED_AFTER: Duration = Duration::from_secs(5 * 60);

/// What the MBeans and the slot say of one connector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signals<'a> {
    /// The snapshot MBean's `SnapshotRunning`.
    pub snapshot_running: bool,
    /// The streaming MBean's `Connected`.
    pub connected: bool,
    /// `MilliSecondsBehindSource`; negative or absent before the first event.
    pub behind_ms: Option<f64>,
    /// `MilliSecondsSinceLastEvent`; negative or absent before the first event.
    pub since_last_event_ms: Option<f64>,
    /// The connector's slot, if a PostgreSQL source sees it.
    pub slot: Option<&'a SlotHolder>,
}

/// The one state that describes the connector now: the first rule of docs/sources.md that holds.
pub fn freshness(signals: &Signals) -> Freshness {
    let over = |value: Option<f64>, limit: Duration| value.is_some_and(|ms| ms >= limit.as_millis() as f64);
    let seen_an_event = signals.since_last_event_ms.is_some_and(|ms| ms >= 0.0);
    if signals.snapshot_running {
        Freshness::Snapshotting
    } else if !signals.connected {
        Freshness::NotStreaming
    } else if signals
        .slot
        .is_some_and(|slot| slot.changed_since_confirmed && slot.confirmed_still_seconds >= STALLED_AFTER.as_secs_f64())
    {
        Freshness::Stalled
    } else if !seen_an_event || over(signals.since_last_event_ms, IDLE_AFTER) {
        Freshness::Idle
    } else if over(signals.behind_ms, LAGGING_FROM) {
        Freshness::Lagging
    } else {
        Freshness::Streaming
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(still_seconds: f64, changed: bool) -> SlotHolder {
        SlotHolder {
            target: "inventory".into(),
            database: "inventory".into(),
            slot: "debezium".into(),
            active_pid: Some(42),
            wal_status: Some("reserved".into()),
            confirmed_still_seconds: still_seconds,
            changed_since_confirmed: changed,
        }
    }

    fn streaming<'a>(behind_ms: f64, since_last_event_ms: f64, slot: Option<&'a SlotHolder>) -> Signals<'a> {
        Signals {
            connected: true,
            behind_ms: Some(behind_ms),
            since_last_event_ms: Some(since_last_event_ms),
            slot,
            ..Signals::default()
        }
    }

    #[test]
    fn recent_events_are_streaming_or_lagging() {
        let moving = slot(10.0, true);
        assert_eq!(freshness(&streaming(200.0, 500.0, Some(&moving))), Freshness::Streaming);
        assert_eq!(freshness(&streaming(200.0, 500.0, None)), Freshness::Streaming, "no slot seen");
        assert_eq!(freshness(&streaming(90_000.0, 500.0, Some(&moving))), Freshness::Lagging);
    }

    #[test]
    fn a_frozen_small_lag_is_idle_while_the_database_is_quiet_and_stalled_while_it_writes() {
        let quiet = slot(3_600.0, false);
        assert_eq!(freshness(&streaming(150.0, 3_600_000.0, Some(&quiet))), Freshness::Idle);
        let waiting = slot(STALLED_AFTER.as_secs_f64(), true);
        assert_eq!(freshness(&streaming(150.0, 3_600_000.0, Some(&waiting))), Freshness::Stalled);
        let flushing_soon = slot(60.0, true);
        assert_eq!(
            freshness(&streaming(150.0, 70_000.0, Some(&flushing_soon))),
            Freshness::Idle,
            "offsets are committed once a minute: not stalled yet"
        );
        assert_eq!(freshness(&streaming(150.0, 3_600_000.0, None)), Freshness::Idle, "no slot: idle");
        let never =
            Signals { connected: true, behind_ms: Some(-1.0), since_last_event_ms: Some(-1.0), ..Signals::default() };
        assert_eq!(freshness(&never), Freshness::Idle, "no event yet");
    }

    #[test]
    fn snapshots_and_lost_connections_come_first() {
        let waiting = slot(3_600.0, true);
        let snapshot = Signals { snapshot_running: true, ..streaming(0.0, 0.0, Some(&waiting)) };
        assert_eq!(freshness(&snapshot), Freshness::Snapshotting);
        let disconnected = Signals { connected: false, ..streaming(0.0, 0.0, Some(&waiting)) };
        assert_eq!(freshness(&disconnected), Freshness::NotStreaming);
    }
}
