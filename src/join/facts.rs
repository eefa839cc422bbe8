//! What sources share at render time so that one can speak of another: which connector owns a
//! replication slot, and whether Debezium's streaming MBean shows it connected.
//!
//! Every observation `share`s into [`Facts`] first, then each renders with all of them.

/// Facts that cross source boundaries, gathered before anything renders.
#[derive(Debug, Default)]
pub struct Facts {
    /// At least one Kafka Connect cluster is configured (so "no connector claims this" means something).
    pub connect_configured: bool,
    pub debezium_connectors: Vec<DebeziumConnector>,
    /// What the JMX bridges (Jolokia, jmx_exporter) saw of Debezium's streaming MBeans.
    pub jmx: JmxFacts,
    /// Logical replication slots as the PostgreSQL sources saw them.
    pub slots: Vec<SlotHolder>,
}

impl Facts {
    /// The slot `slot` of database `database` as some PostgreSQL source saw it. Slot names
    /// are unique per server, not across servers: with several the first is taken.
    pub fn slot(&self, database: &str, slot: &str) -> Option<&SlotHolder> {
        self.slots.iter().find(|known| known.slot == slot && known.database == database)
    }

    /// The Debezium connector whose `topic.prefix` is this MBean `server`, in `cluster` if given.
    pub fn connector_for_server(&self, cluster: Option<&str>, server: &str) -> Option<&DebeziumConnector> {
        self.debezium_connectors
            .iter()
            .find(|known| known.topic_prefix == server && cluster.is_none_or(|cluster| known.cluster == cluster))
    }
}

/// A logical replication slot, with who holds it: what `check` needs to name the process
/// behind a connector's `slot_in_use` failure and the state of a lost slot.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotHolder {
    /// The PostgreSQL target (its configured name) that reported it.
    pub target: String,
    pub database: String,
    pub slot: String,
    /// `active_pid`: the backend holding it, `None` while inactive.
    pub active_pid: Option<i32>,
    /// `wal_status` (13+): `lost` once its WAL is gone.
    pub wal_status: Option<String>,
    /// Seconds its confirmed position has stood still, and whether its database changed rows
    /// of its own meanwhile: what tells a stalled connector from an idle one ([`freshness`](super::freshness)).
    pub confirmed_still_seconds: f64,
    pub changed_since_confirmed: bool,
}

/// The JMX bridges' share of the facts: enough to tell "RUNNING but not streaming".
#[derive(Debug, Default)]
pub struct JmxFacts {
    /// JMX bridge targets configured, and those whose last poll succeeded. A streaming MBean
    /// missing from a bridge that is down proves nothing, so the join needs both equal.
    pub bridges_configured: usize,
    pub bridges_up: usize,
    pub streaming: Vec<StreamingBean>,
}

impl JmxFacts {
    /// Every configured bridge answered: an absent MBean really is absent.
    pub fn complete(&self) -> bool {
        self.bridges_configured > 0 && self.bridges_up == self.bridges_configured
    }

    /// Whether some bridge shows `server`'s streaming MBean connected, for a connector of `cluster`.
    pub fn streaming(&self, cluster: &str, server: &str) -> bool {
        self.streaming.iter().any(|bean| {
            bean.server == server && bean.connected && bean.cluster.as_deref().is_none_or(|own| own == cluster)
        })
    }
}

/// A Debezium streaming MBean as one bridge saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingBean {
    /// The Connect cluster the bridge was configured for (`connect_cluster`), if any.
    pub cluster: Option<String>,
    pub server: String,
    pub connected: bool,
}

/// A Debezium connector as the Connect REST API describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DebeziumConnector {
    pub cluster: String,
    pub connector: String,
    pub running: bool,
    pub database: String,
    pub slot: String,
    pub topic_prefix: String,
}
