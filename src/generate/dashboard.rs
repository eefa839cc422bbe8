//! The Grafana dashboard: one row per concern, every panel's query built from catalog
//! constants. Panel ids are fixed here (not positions), so alerts' `dashboard_url` links and
//! people's bookmarks survive new panels.

use serde_json::{Value, json};

use super::promql::{PROMETHEUS_ALERTS, Selector};
use super::recording;
use super::rules::Alert;
use super::settings::Settings;
use crate::catalog;
use crate::sources::connect::State;
use crate::sources::postgres::WAL_STATUSES;

pub const UID: &str = "debezium-cdc";
pub const TITLE: &str = "Debezium CDC";
/// The provisioning variant reads the datasource from this dashboard variable.
const DATASOURCE: &str = "${datasource}";
/// The import variant's `__inputs` name; Grafana asks for it on import.
pub const IMPORT_INPUT: &str = "DS_PROMETHEUS";

/// A panel's stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PanelId(pub u32);

impl PanelId {
    pub const CONNECTOR_STATES: PanelId = PanelId(1);
    pub const TASK_STATES: PanelId = PanelId(2);
    pub const FAILED_CONNECTORS: PanelId = PanelId(3);
    pub const FAILED_TASKS: PanelId = PanelId(4);
    pub const SOURCE_HEALTH: PanelId = PanelId(20);
    pub const SLOT_LAG: PanelId = PanelId(30);
    pub const SLOT_RETAINED_WAL: PanelId = PanelId(31);
    pub const SLOT_WAL_STATUS: PanelId = PanelId(32);
    pub const SLOT_SAFE_WAL_SIZE: PanelId = PanelId(33);
    pub const SLOT_ACTIVE: PanelId = PanelId(34);
    pub const SLOT_ORPHANED: PanelId = PanelId(35);
    pub const WAL_WRITE_RATE: PanelId = PanelId(36);
    pub const OUTBOX_ROWS: PanelId = PanelId(40);
    pub const OUTBOX_OLDEST_AGE: PanelId = PanelId(41);
    pub const STREAMING_LAG: PanelId = PanelId(50);
    pub const STREAMING_EVENTS: PanelId = PanelId(51);
    pub const QUEUE_FREE: PanelId = PanelId(52);
    pub const FAILED_RECORDS: PanelId = PanelId(53);
    pub const STREAMING: PanelId = PanelId(54);
    pub const SOURCE_CONNECTED: PanelId = PanelId(55);
    pub const SNAPSHOT_STATE: PanelId = PanelId(60);
    pub const SNAPSHOT_TABLES: PanelId = PanelId(61);
    pub const SNAPSHOT_ROWS: PanelId = PanelId(62);
    pub const INTERNAL_TOPICS: PanelId = PanelId(70);
    pub const INTERNAL_TOPICS_COMPACTED: PanelId = PanelId(71);
    pub const CONSUMER_GROUP_LAG: PanelId = PanelId(72);
    pub const LAST_PUBLISHED_AGE: PanelId = PanelId(73);
    pub const SINCE_LAST_SUCCESS: PanelId = PanelId(21);
    pub const POLL_DURATION: PanelId = PanelId(22);
    pub const POLL_ERRORS: PanelId = PanelId(23);
    pub const ALERTS: PanelId = PanelId(90);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visualization {
    Stat,
    StateTimeline,
    TimeSeries,
    Table,
}

impl Visualization {
    fn as_str(self) -> &'static str {
        match self {
            Visualization::Stat => "stat",
            Visualization::StateTimeline => "state-timeline",
            Visualization::TimeSeries => "timeseries",
            Visualization::Table => "table",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Query {
    pub expr: String,
    pub legend: &'static str,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub id: PanelId,
    pub title: &'static str,
    pub description: &'static str,
    pub visualization: Visualization,
    /// Grafana unit id (`s`, `none`, `ops`).
    pub unit: &'static str,
    pub queries: Vec<Query>,
    /// Grid columns out of 24.
    pub width: u32,
    /// Colour steps: the first applies from minus infinity, the others from their value.
    pub thresholds: Vec<(&'static str, f64)>,
    /// Values shown as text (states encoded as numbers).
    pub value_texts: Vec<(f64, &'static str, &'static str)>,
}

pub struct Row {
    pub id: PanelId,
    pub title: &'static str,
    pub panels: Vec<Panel>,
}

/// A dashboard variable filtering by a label of one catalog metric.
pub struct Variable {
    pub label: &'static str,
    pub title: &'static str,
    pub selector: Selector,
}

pub fn variables() -> Vec<Variable> {
    vec![
        Variable { label: "cluster", title: "Cluster", selector: Selector::of(&catalog::CONNECTOR_STATE) },
        Variable {
            label: "connector",
            title: "Connector",
            selector: Selector::of(&catalog::CONNECTOR_STATE).var("cluster"),
        },
    ]
}

/// Connect states as numbers for state timelines: `state=running` → 1 and so on, in the order
/// Connect's states are rendered.
fn state_code(state: State) -> f64 {
    (State::ALL.iter().position(|each| *each == state).expect("every state is in State::ALL") + 1) as f64
}

fn state_color(state: State) -> &'static str {
    match state {
        State::Running => "green",
        State::Failed => "red",
        State::Paused | State::Stopped => "blue",
        State::Unassigned | State::Restarting => "orange",
    }
}

/// One series per connector (or task) whose value is the code of its current state.
fn current_state(selector: impl Fn(State) -> Selector, by: &str) -> String {
    let alternatives: Vec<String> =
        State::ALL.into_iter().map(|state| format!("({} == 1) * {}", selector(state), state_code(state))).collect();
    format!("max by ({by}) ({})", alternatives.join(" or "))
}

fn state_texts() -> Vec<(f64, &'static str, &'static str)> {
    State::ALL
        .into_iter()
        .map(|state| {
            let text = match state {
                State::Running => "RUNNING",
                State::Failed => "FAILED",
                State::Paused => "PAUSED",
                State::Unassigned => "UNASSIGNED",
                State::Restarting => "RESTARTING",
                State::Stopped => "STOPPED",
            };
            (state_code(state), text, state_color(state))
        })
        .collect()
}

const ALERT_THRESHOLD: &[(&str, f64)] = &[("green", 0.0), ("red", 1.0)];

/// `wal_status` as numbers for the state timeline, from healthy to lost.
fn wal_status_texts() -> Vec<(f64, &'static str, &'static str)> {
    WAL_STATUSES
        .into_iter()
        .zip(1..)
        .map(|(status, code)| {
            let color = match status {
                "reserved" => "green",
                "extended" => "yellow",
                "unreserved" => "orange",
                _ => "red",
            };
            (f64::from(code), status, color)
        })
        .collect()
}

/// One series per slot whose value is the code of its current `wal_status`.
fn current_wal_status() -> String {
    let alternatives: Vec<String> = WAL_STATUSES
        .into_iter()
        .zip(1..)
        .map(|(status, code)| {
            let selector = Selector::of(&catalog::REPLICATION_SLOT_WAL_STATUS).var("connector").eq("status", status);
            format!("({selector} == 1) * {code}")
        })
        .collect();
    format!("max by (db, slot, connector) ({})", alternatives.join(" or "))
}

/// Slot series, filtered by the connector variable (slots carry no `cluster` label).
fn slot(metric: &'static catalog::Metric) -> String {
    Selector::of(metric).var("connector").to_string()
}

const SLOT_LEGEND: &str = "{{db}} / {{slot}} ({{connector}})";

pub fn rows(settings: &Settings, alerts: &[Alert]) -> Vec<Row> {
    let connector_state = |state: State| {
        Selector::of(&catalog::CONNECTOR_STATE).var("cluster").var("connector").eq("state", state.label())
    };
    let task_state = |state: State| {
        Selector::of(&catalog::CONNECTOR_TASK_STATE).var("cluster").var("connector").eq("state", state.label())
    };
    let failed_count =
        |metric| format!("sum({}) or vector(0)", Selector::of(metric).var("cluster").eq("state", "failed"));
    let alert_names: Vec<&str> = alerts.iter().map(|alert| alert.name).collect();
    vec![
        Row {
            id: PanelId(100),
            title: "Connectors and tasks",
            panels: vec![
                Panel {
                    id: PanelId::FAILED_CONNECTORS,
                    title: "Failed connectors",
                    description: "The runbook's own measure: connectors Connect reports FAILED.",
                    visualization: Visualization::Stat,
                    unit: "none",
                    queries: vec![Query { expr: failed_count(&catalog::WORKER_CONNECTOR_COUNT), legend: "failed" }],
                    width: 4,
                    thresholds: ALERT_THRESHOLD.to_vec(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::FAILED_TASKS,
                    title: "Failed tasks",
                    description: "Tasks Connect reports FAILED; a RUNNING connector can have them.",
                    visualization: Visualization::Stat,
                    unit: "none",
                    queries: vec![Query { expr: failed_count(&catalog::WORKER_TASK_COUNT), legend: "failed" }],
                    width: 4,
                    thresholds: ALERT_THRESHOLD.to_vec(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::CONNECTOR_STATES,
                    title: "Connector states",
                    description: "Each connector's state over time, as Kafka Connect reports it.",
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query {
                        expr: current_state(connector_state, "cluster, connector"),
                        legend: "{{cluster}} / {{connector}}",
                    }],
                    width: 16,
                    thresholds: Vec::new(),
                    value_texts: state_texts(),
                },
                Panel {
                    id: PanelId::TASK_STATES,
                    title: "Task states",
                    description: "Each task's state over time. A FAILED task under a RUNNING connector is the usual Debezium failure.",
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query {
                        expr: current_state(task_state, "cluster, connector, task"),
                        legend: "{{cluster}} / {{connector}} #{{task}}",
                    }],
                    width: 24,
                    thresholds: Vec::new(),
                    value_texts: state_texts(),
                },
            ],
        },
        streaming_row(settings),
        snapshot_row(),
        Row {
            id: PanelId(300),
            title: "Replication slots",
            panels: vec![
                Panel {
                    id: PanelId::SLOT_LAG,
                    title: "Slot lag",
                    description: "WAL each slot's consumer has not confirmed yet, active or not. The red line is ReplicationSlotLagHigh's threshold.",
                    visualization: Visualization::TimeSeries,
                    unit: "bytes",
                    queries: vec![Query { expr: slot(&catalog::REPLICATION_SLOT_LAG_BYTES), legend: SLOT_LEGEND }],
                    width: 12,
                    thresholds: vec![("green", 0.0), ("red", settings.slot_lag_threshold_bytes as f64)],
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::SLOT_RETAINED_WAL,
                    title: "Retained WAL",
                    description: "WAL each slot forces PostgreSQL to keep on disk (from restart_lsn).",
                    visualization: Visualization::TimeSeries,
                    unit: "bytes",
                    queries: vec![Query {
                        expr: slot(&catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES),
                        legend: SLOT_LEGEND,
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::SLOT_WAL_STATUS,
                    title: "WAL status",
                    description: "reserved and extended are safe; unreserved means the slot's WAL is past max_slot_wal_keep_size and may be removed; lost means it was, and the slot cannot be resumed.",
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query { expr: current_wal_status(), legend: SLOT_LEGEND }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: wal_status_texts(),
                },
                Panel {
                    id: PanelId::SLOT_SAFE_WAL_SIZE,
                    title: "Safe WAL size",
                    description: "WAL that can still be written before the slot is in danger of being lost (absent when max_slot_wal_keep_size is -1). ReplicationSlotWalAtRisk extrapolates it.",
                    visualization: Visualization::TimeSeries,
                    unit: "bytes",
                    queries: vec![Query {
                        expr: slot(&catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES),
                        legend: SLOT_LEGEND,
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::SLOT_ACTIVE,
                    title: "Slot consumers",
                    description: "Whether a consumer is connected to each slot. An inactive slot keeps WAL until the disk fills.",
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query { expr: slot(&catalog::REPLICATION_SLOT_ACTIVE), legend: SLOT_LEGEND }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: vec![(0.0, "INACTIVE", "red"), (1.0, "ACTIVE", "green")],
                },
                Panel {
                    id: PanelId::SLOT_ORPHANED,
                    title: "Orphaned slots",
                    description: "Logical slots no Debezium connector of any configured Connect cluster claims. Unreliable while a Connect source is down.",
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query {
                        expr: Selector::of(&catalog::REPLICATION_SLOT_ORPHANED).to_string(),
                        legend: "{{db}} / {{slot}}",
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: vec![(0.0, "claimed", "green"), (1.0, "ORPHANED", "red")],
                },
                Panel {
                    id: PanelId::WAL_WRITE_RATE,
                    title: "WAL write rate",
                    description: "WAL each database writes per second (over 5m). Slot lag and retained WAL grow at this rate while a slot's consumer is stopped; ReplicationSlotWalAtRisk extrapolates the same fall of safe WAL size.",
                    visualization: Visualization::TimeSeries,
                    unit: "Bps",
                    queries: vec![Query {
                        expr: Selector::of(&recording::WAL_WRITE_RATE).to_string(),
                        legend: "{{db}}",
                    }],
                    width: 24,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
            ],
        },
        Row {
            id: PanelId(400),
            title: "Outbox",
            panels: vec![
                Panel {
                    id: PanelId::OUTBOX_ROWS,
                    title: "Outbox rows",
                    description: "Rows in each outbox table, counted up to count_cap. With delete-after-insert it stays 0; with keep-and-purge it shows whether the purge keeps up.",
                    visualization: Visualization::TimeSeries,
                    unit: "short",
                    queries: vec![Query {
                        expr: Selector::of(&catalog::OUTBOX_TABLE_ROWS).to_string(),
                        legend: "{{db}} / {{table}}",
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::OUTBOX_OLDEST_AGE,
                    title: "Oldest outbox event age",
                    description: "Now minus the oldest row's timestamp. The red line is OutboxOldestEventTooOld's threshold.",
                    visualization: Visualization::TimeSeries,
                    unit: "s",
                    queries: vec![Query {
                        expr: Selector::of(&catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS).to_string(),
                        legend: "{{db}} / {{table}}",
                    }],
                    width: 12,
                    thresholds: vec![("green", 0.0), ("red", settings.outbox_oldest_event_age.as_secs_f64())],
                    value_texts: Vec::new(),
                },
            ],
        },
        kafka_row(),
        Row {
            id: PanelId(200),
            title: "Exporter source health",
            panels: vec![
                Panel {
                    id: PanelId::SOURCE_HEALTH,
                    title: "Sources up",
                    description: "Whether the exporter's last poll of each upstream succeeded. While one is down its metrics are missing and the alerts built on them cannot fire.",
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query {
                        expr: Selector::of(&catalog::SOURCE_UP).to_string(),
                        legend: "{{source}} {{target}}",
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: vec![(0.0, "DOWN", "red"), (1.0, "UP", "green")],
                },
                Panel {
                    id: PanelId::SINCE_LAST_SUCCESS,
                    title: "Time since last successful poll",
                    description: "How old each source's data is.",
                    visualization: Visualization::TimeSeries,
                    unit: "s",
                    queries: vec![Query {
                        expr: format!("time() - ({} > 0)", Selector::of(&catalog::LAST_SUCCESS_TIMESTAMP_SECONDS)),
                        legend: "{{source}} {{target}}",
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::POLL_DURATION,
                    title: "Poll duration",
                    description: "How long each source's last poll took; close to the timeout means polls are about to fail.",
                    visualization: Visualization::TimeSeries,
                    unit: "s",
                    queries: vec![Query {
                        expr: Selector::of(&catalog::POLL_DURATION_SECONDS).to_string(),
                        legend: "{{source}} {{target}}",
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::POLL_ERRORS,
                    title: "Poll errors by reason",
                    description: "Failed polls per second, by reason.",
                    visualization: Visualization::TimeSeries,
                    unit: "ops",
                    queries: vec![Query {
                        expr: format!(
                            "sum by (source, target, reason) (rate({}[$__rate_interval]))",
                            Selector::of(&catalog::POLL_ERRORS_TOTAL)
                        ),
                        legend: "{{source}} {{target}} {{reason}}",
                    }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: Vec::new(),
                },
            ],
        },
        Row {
            id: PanelId(900),
            title: "Alerts",
            panels: vec![Panel {
                id: PanelId::ALERTS,
                title: "Debezium alerts",
                description: "Pending and firing alerts of the generated rules.",
                visualization: Visualization::Table,
                unit: "none",
                queries: vec![Query {
                    expr: Selector::of(&PROMETHEUS_ALERTS).re("alertname", alert_names.join("|")).to_string(),
                    legend: "{{alertname}}",
                }],
                width: 24,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            }],
        },
    ]
}

/// A Debezium series of the selected clusters and connectors.
fn debezium(metric: &'static catalog::Metric) -> Selector {
    Selector::of(metric).var("cluster").var("connector")
}

const CONNECTOR_LEGEND: &str = "{{cluster}} / {{connector}}";

fn streaming_row(settings: &Settings) -> Row {
    let lag_threshold_ms = settings.streaming_lag_threshold.as_millis() as f64;
    Row {
        id: PanelId(500),
        title: "Streaming",
        panels: vec![
            Panel {
                id: PanelId::STREAMING_LAG,
                title: "Streaming lag",
                description: "How far behind the database Debezium's last event was, per connector (the runbook's most important metric). Frozen while the source is idle. The red line is DebeziumStreamingLagHigh's threshold; DebeziumStreamingLagGrowing watches its trend.",
                visualization: Visualization::TimeSeries,
                unit: "ms",
                queries: vec![Query {
                    expr: debezium(&recording::STREAMING_LAG_MAX).to_string(),
                    legend: CONNECTOR_LEGEND,
                }],
                width: 12,
                thresholds: vec![("green", 0.0), ("red", lag_threshold_ms)],
                value_texts: Vec::new(),
            },
            Panel {
                id: PanelId::STREAMING_EVENTS,
                title: "Events streamed",
                description: "Change events Debezium streams per second, per connector (over 5m).",
                visualization: Visualization::TimeSeries,
                unit: "ops",
                queries: vec![Query {
                    expr: debezium(&recording::EVENTS_SEEN_RATE).to_string(),
                    legend: CONNECTOR_LEGEND,
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
            Panel {
                id: PanelId::STREAMING,
                title: "Streaming",
                description: "Whether a JMX bridge shows each Debezium connector streaming and connected. Not streaming while Connect says RUNNING is DebeziumConnectorStuck.",
                visualization: Visualization::StateTimeline,
                unit: "none",
                queries: vec![Query {
                    expr: debezium(&catalog::CONNECTOR_STREAMING).to_string(),
                    legend: CONNECTOR_LEGEND,
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: vec![(0.0, "NOT STREAMING", "red"), (1.0, "STREAMING", "green")],
            },
            Panel {
                id: PanelId::SOURCE_CONNECTED,
                title: "Database connection",
                description: "Debezium's streaming connection to the database. It connects once the snapshot is over.",
                visualization: Visualization::StateTimeline,
                unit: "none",
                queries: vec![Query { expr: debezium(&catalog::CONNECTED).to_string(), legend: CONNECTOR_LEGEND }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: vec![(0.0, "DISCONNECTED", "red"), (1.0, "CONNECTED", "green")],
            },
            Panel {
                id: PanelId::QUEUE_FREE,
                title: "Queue free capacity",
                description: "Free share of the queue between Debezium's streamer and Kafka Connect; near 0 Connect cannot keep up. The red line is DebeziumQueueNearlyFull's threshold.",
                visualization: Visualization::TimeSeries,
                unit: "percentunit",
                queries: vec![Query {
                    expr: debezium(&recording::QUEUE_FREE_RATIO).to_string(),
                    legend: CONNECTOR_LEGEND,
                }],
                width: 12,
                thresholds: vec![("red", 0.0), ("green", settings.queue_remaining_ratio)],
                value_texts: Vec::new(),
            },
            Panel {
                id: PanelId::FAILED_RECORDS,
                title: "Failed records",
                description: "Records each task failed to convert, transform or produce since it (re)started; a restart resets it to 0.",
                visualization: Visualization::TimeSeries,
                unit: "short",
                queries: vec![Query {
                    expr: debezium(&catalog::NUMBER_OF_FAILED_RECORDS).to_string(),
                    legend: "{{cluster}} / {{connector}} #{{task}}",
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
        ],
    }
}

/// Snapshot states as numbers for the state timeline.
const SNAPSHOT_STATES: [(&catalog::Metric, f64, &str, &str); 3] = [
    (&catalog::SNAPSHOT_RUNNING, 1.0, "RUNNING", "blue"),
    (&catalog::SNAPSHOT_COMPLETED, 2.0, "COMPLETED", "green"),
    (&catalog::SNAPSHOT_ABORTED, 3.0, "ABORTED", "red"),
];

fn snapshot_row() -> Row {
    let states: Vec<String> =
        SNAPSHOT_STATES.iter().map(|(metric, code, _, _)| format!("({} == 1) * {code}", debezium(metric))).collect();
    Row {
        id: PanelId(600),
        title: "Snapshot",
        panels: vec![
            Panel {
                id: PanelId::SNAPSHOT_STATE,
                title: "Snapshot state",
                description: "Whether each connector's initial or ad-hoc snapshot is running, completed or aborted (nothing: no snapshot since the task started).",
                visualization: Visualization::StateTimeline,
                unit: "none",
                queries: vec![Query {
                    expr: format!("max by (cluster, connector) ({})", states.join(" or ")),
                    legend: CONNECTOR_LEGEND,
                }],
                width: 8,
                thresholds: Vec::new(),
                value_texts: SNAPSHOT_STATES.iter().map(|(_, code, text, color)| (*code, *text, *color)).collect(),
            },
            Panel {
                id: PanelId::SNAPSHOT_TABLES,
                title: "Snapshot tables",
                description: "Tables the snapshot still has to copy, out of all it covers.",
                visualization: Visualization::TimeSeries,
                unit: "short",
                queries: vec![
                    Query {
                        expr: debezium(&catalog::REMAINING_TABLE_COUNT).to_string(),
                        legend: "{{cluster}} / {{connector}} remaining",
                    },
                    Query {
                        expr: debezium(&catalog::TOTAL_TABLE_COUNT).to_string(),
                        legend: "{{cluster}} / {{connector}} total",
                    },
                ],
                width: 8,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
            Panel {
                id: PanelId::SNAPSHOT_ROWS,
                title: "Rows scanned",
                description: "Rows the snapshot has read per table; Debezium reports progress every 10 s. Flat while the snapshot runs is DebeziumSnapshotStalled.",
                visualization: Visualization::TimeSeries,
                unit: "short",
                queries: vec![Query {
                    expr: debezium(&catalog::ROWS_SCANNED).to_string(),
                    legend: "{{cluster}} / {{connector}} {{table}}",
                }],
                width: 8,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
        ],
    }
}

/// Kafka's `cluster` label names the Kafka cluster, not the Connect cluster of the dashboard's
/// variable, so these panels are not filtered by it.
fn kafka_row() -> Row {
    const TOPIC_LEGEND: &str = "{{cluster}} / {{topic}}";
    Row {
        id: PanelId(700),
        title: "Kafka",
        panels: vec![
            Panel {
                id: PanelId::INTERNAL_TOPICS,
                title: "Connect internal topics",
                description: "Whether Kafka Connect's config, offset and status topics exist. Without them connectors may stay RUNNING while their offset commits stall (runbook step 3b).",
                visualization: Visualization::StateTimeline,
                unit: "none",
                queries: vec![Query {
                    expr: Selector::of(&catalog::CONNECT_INTERNAL_TOPIC_PRESENT).to_string(),
                    legend: TOPIC_LEGEND,
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: vec![(0.0, "MISSING", "red"), (1.0, "present", "green")],
            },
            Panel {
                id: PanelId::INTERNAL_TOPICS_COMPACTED,
                title: "Internal topics compacted",
                description: "Whether each internal topic's cleanup.policy includes compact; with delete, Kafka eventually drops connector configs and offsets. Some brokers report no policy at all (shown as not compacted).",
                visualization: Visualization::StateTimeline,
                unit: "none",
                queries: vec![Query {
                    expr: Selector::of(&catalog::CONNECT_INTERNAL_TOPIC_COMPACTED).to_string(),
                    legend: TOPIC_LEGEND,
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: vec![(0.0, "NOT COMPACTED", "orange"), (1.0, "compacted", "green")],
            },
            Panel {
                id: PanelId::CONSUMER_GROUP_LAG,
                title: "Consumer group lag",
                description: "Records each watched group has not committed yet, per topic. A new module's group should fall to 0 after the snapshot (runbook scenario 2, step 3).",
                visualization: Visualization::TimeSeries,
                unit: "short",
                queries: vec![Query {
                    expr: Selector::of(&catalog::CONSUMERGROUP_LAG_SUM).to_string(),
                    legend: "{{cluster}} / {{group}} / {{topic}}",
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
            Panel {
                id: PanelId::LAST_PUBLISHED_AGE,
                title: "Time since last published event",
                description: "Now minus the timestamp of the newest record on each watched topic. Grows while nothing is published, whether the outbox is quiet or the pipeline is stuck.",
                visualization: Visualization::TimeSeries,
                unit: "s",
                queries: vec![Query {
                    expr: format!("time() - {}", Selector::of(&catalog::OUTBOX_LAST_PUBLISHED_TIMESTAMP_SECONDS)),
                    legend: TOPIC_LEGEND,
                }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
        ],
    }
}

fn datasource(uid: &str) -> Value {
    json!({ "type": "prometheus", "uid": uid })
}

fn panel_json(panel: &Panel, x: u32, y: u32, height: u32) -> Value {
    let targets: Vec<Value> = panel
        .queries
        .iter()
        .zip('A'..)
        .map(|(query, ref_id)| {
            let mut target = json!({
                "datasource": datasource(DATASOURCE),
                "expr": query.expr,
                "legendFormat": query.legend,
                "refId": ref_id.to_string(),
            });
            if panel.visualization == Visualization::Table {
                target["format"] = json!("table");
                target["instant"] = json!(true);
            }
            target
        })
        .collect();
    let steps: Vec<Value> = panel
        .thresholds
        .iter()
        .enumerate()
        .map(|(index, (color, value))| {
            if index == 0 {
                json!({ "color": color, "value": null })
            } else {
                json!({ "color": color, "value": value })
            }
        })
        .collect();
    let mut defaults = json!({ "unit": panel.unit });
    if !steps.is_empty() {
        defaults["thresholds"] = json!({ "mode": "absolute", "steps": steps });
        if panel.visualization == Visualization::TimeSeries {
            // Draw the alert threshold as a line on the graph.
            defaults["custom"] = json!({ "thresholdsStyle": { "mode": "line" } });
        }
    }
    if !panel.value_texts.is_empty() {
        let options: serde_json::Map<String, Value> = panel
            .value_texts
            .iter()
            .enumerate()
            .map(|(index, (value, text, color))| {
                (format!("{value}"), json!({ "text": text, "color": color, "index": index }))
            })
            .collect();
        defaults["mappings"] = json!([{ "type": "value", "options": options }]);
    }
    json!({
        "id": panel.id.0,
        "type": panel.visualization.as_str(),
        "title": panel.title,
        "description": panel.description,
        "datasource": datasource(DATASOURCE),
        "gridPos": { "h": height, "w": panel.width, "x": x, "y": y },
        "targets": targets,
        "fieldConfig": { "defaults": defaults, "overrides": [] },
        "options": {},
    })
}

/// The dashboard for file provisioning and the sidecar: the datasource is a variable.
pub fn dashboard(settings: &Settings, alerts: &[Alert]) -> Value {
    const HEIGHT: u32 = 8;
    let mut panels = Vec::new();
    let mut y = 0;
    for row in rows(settings, alerts) {
        panels.push(json!({
            "id": row.id.0, "type": "row", "title": row.title, "collapsed": false, "panels": [],
            "gridPos": { "h": 1, "w": 24, "x": 0, "y": y },
        }));
        y += 1;
        let mut x = 0;
        for panel in &row.panels {
            if x + panel.width > 24 {
                x = 0;
                y += HEIGHT;
            }
            panels.push(panel_json(panel, x, y, HEIGHT));
            x += panel.width;
        }
        y += HEIGHT;
    }
    let mut templating = vec![json!({
        "type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
    })];
    for variable in variables() {
        templating.push(json!({
            "type": "query",
            "name": variable.label,
            "label": variable.title,
            "datasource": datasource(DATASOURCE),
            "query": format!("label_values({}, {})", variable.selector, variable.label),
            "refresh": 2,
            "includeAll": true,
            "multi": true,
            "allValue": ".*",
            "sort": 1,
        }));
    }
    json!({
        "uid": UID,
        "title": TITLE,
        "description": "Debezium CDC pipelines: Kafka Connect connector and task states, Debezium streaming and snapshots, PostgreSQL replication slots, outbox backlog, Kafka internal topics and consumer groups, and the exporter's own health. Generated by `debezium-exporter generate`; do not edit.",
        "tags": ["debezium", "cdc", "kafka-connect"],
        "editable": true,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": { "from": "now-6h", "to": "now" },
        "timezone": "browser",
        "annotations": { "list": [{
            "builtIn": 1, "datasource": { "type": "grafana", "uid": "-- Grafana --" }, "enable": true, "hide": true,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
        }]},
        "links": [],
        "templating": { "list": templating },
        "panels": panels,
    })
}

/// The variant for the UI's import: Grafana asks for the Prometheus datasource (`__inputs`)
/// and preselects it in the datasource variable.
pub fn import_variant(mut dashboard: Value) -> Value {
    let input = format!("${{{IMPORT_INPUT}}}");
    dashboard["templating"]["list"][0]["current"] = json!({ "text": input, "value": input });
    dashboard["__inputs"] = json!([{
        "name": IMPORT_INPUT, "label": "Prometheus", "description": "", "type": "datasource",
        "pluginId": "prometheus", "pluginName": "Prometheus",
    }]);
    dashboard["__requires"] = json!([
        { "type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0" },
        { "type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0" },
    ]);
    dashboard
}

/// The dashboard variables a panel's queries filter by.
pub fn panel_variables(settings: &Settings, id: PanelId) -> Vec<&'static str> {
    let panels: Vec<Panel> = rows(settings, &[]).into_iter().flat_map(|row| row.panels).collect();
    let Some(panel) = panels.iter().find(|panel| panel.id == id) else { return Vec::new() };
    variables()
        .into_iter()
        .map(|variable| variable.label)
        .filter(|label| panel.queries.iter().any(|query| query.expr.contains(&format!("\"${label}\""))))
        .collect()
}

/// Link to the panel that shows `alert`, filtered by the alert's own label for each variable
/// the panel filters by. A label of the same name that the panel does not filter by may mean
/// something else: Kafka alerts' `cluster` is the Kafka cluster, not the Connect cluster of the
/// `cluster` variable, and the Kafka panels are not filtered by it.
pub fn panel_url(settings: &Settings, alert: &Alert) -> String {
    let mut url =
        format!("{}/d/{UID}/debezium-cdc?viewPanel={}", settings.grafana_url.trim_end_matches('/'), alert.panel.0);
    let filtered = panel_variables(settings, alert.panel);
    for variable in variables() {
        if filtered.contains(&variable.label) && alert.example.label(variable.label).is_some() {
            url.push_str(&format!("&var-{0}={{{{ $labels.{0} }}}}", variable.label));
        }
    }
    url
}
