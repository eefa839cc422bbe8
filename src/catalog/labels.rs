//! The values that label sets and findings may take: small fixed vocabularies shared by the
//! sources, `check`, the renderer and the generator.

/// The `source` label: which kind of upstream a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    Connect,
    Postgres,
    Kafka,
    Jolokia,
    JmxExporter,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Connect => "connect",
            SourceKind::Postgres => "postgres",
            SourceKind::Kafka => "kafka",
            SourceKind::Jolokia => "jolokia",
            SourceKind::JmxExporter => "jmx_exporter",
        }
    }

    /// A JMX-over-HTTP bridge, whose streaming MBeans the joins compare with Connect's view.
    pub fn is_jmx_bridge(self) -> bool {
        matches!(self, SourceKind::Jolokia | SourceKind::JmxExporter)
    }
}

/// Why a poll failed. A small fixed set, so it can be a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorReason {
    Timeout,
    Connect,
    HttpStatus,
    Decode,
    TooLarge,
    Query,
}

impl ErrorReason {
    pub const ALL: [ErrorReason; 6] = [
        ErrorReason::Timeout,
        ErrorReason::Connect,
        ErrorReason::HttpStatus,
        ErrorReason::Decode,
        ErrorReason::TooLarge,
        ErrorReason::Query,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorReason::Timeout => "timeout",
            ErrorReason::Connect => "connect",
            ErrorReason::HttpStatus => "http_status",
            ErrorReason::Decode => "decode",
            ErrorReason::TooLarge => "too_large",
            ErrorReason::Query => "query",
        }
    }
}

/// Connector and task states as Connect reports them, in the order we render them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    Failed,
    Paused,
    Unassigned,
    Restarting,
    Stopped,
}

impl State {
    pub const ALL: [State; 6] =
        [State::Running, State::Failed, State::Paused, State::Unassigned, State::Restarting, State::Stopped];

    /// The `state` label value.
    pub fn label(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Failed => "failed",
            State::Paused => "paused",
            State::Unassigned => "unassigned",
            State::Restarting => "restarting",
            State::Stopped => "stopped",
        }
    }

    /// Parses Connect's upper-case state; a state this build does not know is `None`.
    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.label().eq_ignore_ascii_case(text))
    }
}

/// How fresh a Debezium connector's events are: the `state` of `debezium_connector_freshness`,
/// exactly one of them 1 (docs/sources.md says how each is derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Streaming,
    Idle,
    Lagging,
    Stalled,
    Snapshotting,
    NotStreaming,
}

impl Freshness {
    pub const ALL: [Freshness; 6] = [
        Freshness::Streaming,
        Freshness::Idle,
        Freshness::Lagging,
        Freshness::Stalled,
        Freshness::Snapshotting,
        Freshness::NotStreaming,
    ];

    /// The `state` label value.
    pub fn label(self) -> &'static str {
        match self {
            Freshness::Streaming => "streaming",
            Freshness::Idle => "idle",
            Freshness::Lagging => "lagging",
            Freshness::Stalled => "stalled",
            Freshness::Snapshotting => "snapshotting",
            Freshness::NotStreaming => "not_streaming",
        }
    }
}

/// `wal_status` values, in the order they are rendered.
pub const WAL_STATUSES: [&str; 4] = ["reserved", "extended", "unreserved", "lost"];

/// How soon something needs a person: an alert's `severity` label (alerts/alertmanager.yml
/// has one route per severity) and a `check` finding's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}
