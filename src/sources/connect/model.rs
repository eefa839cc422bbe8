//! What one poll saw of one Connect cluster: its connectors, their tasks, and the Debezium
//! settings that join a connector to its database, slot and MBeans.

use crate::catalog::{FailureCause, State};
use crate::join::OutboxRouting;

/// What one poll saw of one Connect cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectCluster {
    pub connectors: Vec<Connector>,
    /// Connectors listed but unreadable: counted and logged, so they hide no other.
    pub skipped: Vec<Skipped>,
    /// The REST endpoint polled (never holds credentials), for the commands `check` prints.
    pub rest_url: String,
}

/// A connector Connect listed that this poll could not read; left out of every series but
/// [`crate::catalog::SKIPPED_CONNECTORS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The name as Connect's JSON spells it, a lone surrogate as `\uD800`.
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Connector {
    pub name: String,
    /// `source` or `sink`.
    pub kind: String,
    pub class: String,
    pub state: Option<State>,
    pub worker_id: String,
    /// What the trace of a FAILED connector says; never a label.
    pub trace: Option<Trace>,
    pub tasks: Vec<Task>,
    pub debezium: Option<DebeziumConfig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: u32,
    pub state: Option<State>,
    pub worker_id: String,
    pub trace: Option<Trace>,
}

/// The two lines of a Java stack trace a person needs: the first, and the innermost cause;
/// and the cause the whole trace shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub head: String,
    /// The last `Caused by:` line, when there is one.
    pub root_cause: Option<String>,
    pub cause: FailureCause,
}

/// The config keys that join a Debezium connector to its database, slot and MBeans.
#[derive(Debug, Clone, PartialEq)]
pub struct DebeziumConfig {
    pub database: String,
    pub slot: String,
    pub topic_prefix: String,
    pub plugin: String,
    /// `publication.name` (Debezium's default `dbz_publication` when left out).
    pub publication: String,
    /// `table.include.list` as configured: what a re-created publication must cover.
    pub tables: Option<String>,
    /// `database.user`, for the grants `check` prints.
    pub user: Option<String>,
    /// `snapshot.mode` as configured (`None`: Debezium's default, `initial`).
    pub snapshot_mode: Option<String>,
    /// Where the outbox EventRouter sends the captured tables' events; `None` without one.
    pub outbox: Option<OutboxRouting>,
}
