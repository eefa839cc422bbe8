//! The Grafana dashboard: one row per concern, every panel's query built from catalog
//! constants. Panel ids are fixed here (not positions), so alerts' `dashboard_url` links and
//! people's bookmarks survive new panels.

use serde_json::{Value, json};

use super::Lang;
use super::promql::{PROMETHEUS_ALERTS, Selector};
use super::recording;
use super::rules::{Alert, Text};
use crate::catalog;
use crate::catalog::{State, WAL_STATUSES};
use crate::config::generate::Settings;

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
    pub title: Text,
    pub description: Text,
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
    pub title: Text,
    pub panels: Vec<Panel>,
}

/// A dashboard variable filtering by a label of one catalog metric.
pub struct Variable {
    pub label: &'static str,
    pub title: Text,
    pub selector: Selector,
}

pub fn variables() -> Vec<Variable> {
    vec![
        Variable {
            label: "cluster",
            title: Text::new("클러스터", "Cluster"),
            selector: Selector::of(&catalog::CONNECTOR_STATE),
        },
        Variable {
            label: "connector",
            title: Text::new("커넥터", "Connector"),
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
            title: Text::new("커넥터와 태스크", "Connectors and tasks"),
            panels: vec![
                Panel {
                    id: PanelId::FAILED_CONNECTORS,
                    title: Text::new("장애 커넥터", "Failed connectors"),
                    description: Text::new(
                        "런북의 지표 그대로: Kafka Connect가 FAILED로 보고하는 커넥터 수.",
                        "The runbook's own measure: connectors Connect reports FAILED.",
                    ),
                    visualization: Visualization::Stat,
                    unit: "none",
                    queries: vec![Query { expr: failed_count(&catalog::WORKER_CONNECTOR_COUNT), legend: "failed" }],
                    width: 4,
                    thresholds: ALERT_THRESHOLD.to_vec(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::FAILED_TASKS,
                    title: Text::new("장애 태스크", "Failed tasks"),
                    description: Text::new(
                        "Kafka Connect가 FAILED로 보고하는 태스크 수. RUNNING인 커넥터에도 있을 수 있습니다.",
                        "Tasks Connect reports FAILED; a RUNNING connector can have them.",
                    ),
                    visualization: Visualization::Stat,
                    unit: "none",
                    queries: vec![Query { expr: failed_count(&catalog::WORKER_TASK_COUNT), legend: "failed" }],
                    width: 4,
                    thresholds: ALERT_THRESHOLD.to_vec(),
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::CONNECTOR_STATES,
                    title: Text::new("커넥터 상태", "Connector states"),
                    description: Text::new(
                        "Kafka Connect가 보고하는 커넥터별 상태의 변화.",
                        "Each connector's state over time, as Kafka Connect reports it.",
                    ),
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
                    title: Text::new("태스크 상태", "Task states"),
                    description: Text::new(
                        "태스크별 상태의 변화. RUNNING인 커넥터 아래 FAILED 태스크가 Debezium 장애의 흔한 모습입니다.",
                        "Each task's state over time. A FAILED task under a RUNNING connector is the usual Debezium failure.",
                    ),
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
            title: Text::new("복제 슬롯", "Replication slots"),
            panels: vec![
                Panel {
                    id: PanelId::SLOT_LAG,
                    title: Text::new("슬롯 지연", "Slot lag"),
                    description: Text::new(
                        "슬롯의 소비자가 아직 확인하지 않은 WAL(활성 여부와 무관). 빨간 선은 ReplicationSlotLagHigh의 임계값입니다.",
                        "WAL each slot's consumer has not confirmed yet, active or not. The red line is ReplicationSlotLagHigh's threshold.",
                    ),
                    visualization: Visualization::TimeSeries,
                    unit: "bytes",
                    queries: vec![Query { expr: slot(&catalog::REPLICATION_SLOT_LAG_BYTES), legend: SLOT_LEGEND }],
                    width: 12,
                    thresholds: vec![("green", 0.0), ("red", settings.slot_lag_threshold_bytes as f64)],
                    value_texts: Vec::new(),
                },
                Panel {
                    id: PanelId::SLOT_RETAINED_WAL,
                    title: Text::new("보존 중인 WAL", "Retained WAL"),
                    description: Text::new(
                        "슬롯 때문에 PostgreSQL이 디스크에 남겨 두는 WAL(restart_lsn부터).",
                        "WAL each slot forces PostgreSQL to keep on disk (from restart_lsn).",
                    ),
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
                    title: Text::new("WAL 상태", "WAL status"),
                    description: Text::new(
                        "reserved와 extended는 안전합니다. unreserved는 슬롯의 WAL이 max_slot_wal_keep_size를 넘어 삭제될 수 있다는 뜻이고, lost는 이미 삭제되어 슬롯을 이어 쓸 수 없다는 뜻입니다.",
                        "reserved and extended are safe; unreserved means the slot's WAL is past max_slot_wal_keep_size and may be removed; lost means it was, and the slot cannot be resumed.",
                    ),
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query { expr: current_wal_status(), legend: SLOT_LEGEND }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: wal_status_texts(),
                },
                Panel {
                    id: PanelId::SLOT_SAFE_WAL_SIZE,
                    title: Text::new("안전 WAL 크기", "Safe WAL size"),
                    description: Text::new(
                        "슬롯이 lost 위험에 빠지기 전까지 더 쓸 수 있는 WAL(max_slot_wal_keep_size가 -1이면 없음). ReplicationSlotWalAtRisk가 이 값의 추세를 봅니다.",
                        "WAL that can still be written before the slot is in danger of being lost (absent when max_slot_wal_keep_size is -1). ReplicationSlotWalAtRisk extrapolates it.",
                    ),
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
                    title: Text::new("슬롯 소비자", "Slot consumers"),
                    description: Text::new(
                        "슬롯에 소비자가 연결되어 있는지. 비활성 슬롯은 디스크가 찰 때까지 WAL을 붙잡아 둡니다.",
                        "Whether a consumer is connected to each slot. An inactive slot keeps WAL until the disk fills.",
                    ),
                    visualization: Visualization::StateTimeline,
                    unit: "none",
                    queries: vec![Query { expr: slot(&catalog::REPLICATION_SLOT_ACTIVE), legend: SLOT_LEGEND }],
                    width: 12,
                    thresholds: Vec::new(),
                    value_texts: vec![(0.0, "INACTIVE", "red"), (1.0, "ACTIVE", "green")],
                },
                Panel {
                    id: PanelId::SLOT_ORPHANED,
                    title: Text::new("주인 없는 슬롯", "Orphaned slots"),
                    description: Text::new(
                        "설정된 어떤 Connect 클러스터의 Debezium 커넥터도 쓰지 않는 논리 슬롯. Connect 소스 수집이 실패하는 동안에는 믿을 수 없습니다.",
                        "Logical slots no Debezium connector of any configured Connect cluster claims. Unreliable while a Connect source is down.",
                    ),
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
                    title: Text::new("WAL 쓰기 속도", "WAL write rate"),
                    description: Text::new(
                        "DB별 초당 WAL 쓰기량(5분 기준). 슬롯의 소비자가 멈추면 슬롯 지연과 보존 WAL이 이 속도로 늘어나고, 안전 WAL 크기는 이 속도로 줄어듭니다(ReplicationSlotWalAtRisk가 그 추세를 봅니다).",
                        "WAL each database writes per second (over 5m). Slot lag and retained WAL grow at this rate while a slot's consumer is stopped; ReplicationSlotWalAtRisk extrapolates the same fall of safe WAL size.",
                    ),
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
            title: Text::new("Outbox", "Outbox"),
            panels: vec![
                Panel {
                    id: PanelId::OUTBOX_ROWS,
                    title: Text::new("Outbox 행 수", "Outbox rows"),
                    description: Text::new(
                        "Outbox 테이블별 행 수(count_cap까지 셈). 넣고 바로 지우는 방식이면 0에 머물고, 남겼다가 정리하는 방식이면 정리가 따라가는지 보여 줍니다.",
                        "Rows in each outbox table, counted up to count_cap. With delete-after-insert it stays 0; with keep-and-purge it shows whether the purge keeps up.",
                    ),
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
                    title: Text::new("가장 오래된 Outbox 이벤트의 나이", "Oldest outbox event age"),
                    description: Text::new(
                        "현재 시각에서 가장 오래된 행의 시각을 뺀 값. 빨간 선은 OutboxOldestEventTooOld의 임계값입니다.",
                        "Now minus the oldest row's timestamp. The red line is OutboxOldestEventTooOld's threshold.",
                    ),
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
            title: Text::new("exporter 소스 상태", "Exporter source health"),
            panels: vec![
                Panel {
                    id: PanelId::SOURCE_HEALTH,
                    title: Text::new("소스 수집 상태", "Sources up"),
                    description: Text::new(
                        "exporter의 소스별 마지막 수집이 성공했는지. 실패하는 동안에는 그 메트릭이 없어, 그에 기반한 알림도 울리지 않습니다.",
                        "Whether the exporter's last poll of each upstream succeeded. While one is down its metrics are missing and the alerts built on them cannot fire.",
                    ),
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
                    title: Text::new("마지막 수집 성공 후 경과 시간", "Time since last successful poll"),
                    description: Text::new("소스별 데이터가 얼마나 오래되었는지.", "How old each source's data is."),
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
                    title: Text::new("수집 소요 시간", "Poll duration"),
                    description: Text::new(
                        "소스별 마지막 수집에 걸린 시간. 타임아웃에 가까우면 곧 수집이 실패합니다.",
                        "How long each source's last poll took; close to the timeout means polls are about to fail.",
                    ),
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
                    title: Text::new("원인별 수집 오류", "Poll errors by reason"),
                    description: Text::new("원인별 초당 수집 실패 수.", "Failed polls per second, by reason."),
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
            title: Text::new("알림", "Alerts"),
            panels: vec![Panel {
                id: PanelId::ALERTS,
                title: Text::new("Debezium 알림", "Debezium alerts"),
                description: Text::new(
                    "생성된 규칙의 대기(pending) 중이거나 울리는(firing) 알림.",
                    "Pending and firing alerts of the generated rules.",
                ),
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
        title: Text::new("스트리밍", "Streaming"),
        panels: vec![
            Panel {
                id: PanelId::STREAMING_LAG,
                title: Text::new("스트리밍 지연", "Streaming lag"),
                description: Text::new(
                    "커넥터별로 Debezium의 마지막 이벤트가 DB보다 얼마나 늦었는지(런북이 가장 중요하다고 꼽은 지표). DB가 조용하면 값이 멈춥니다. 빨간 선은 DebeziumStreamingLagHigh의 임계값이고, DebeziumStreamingLagGrowing이 추세를 봅니다.",
                    "How far behind the database Debezium's last event was, per connector (the runbook's most important metric). Frozen while the source is idle. The red line is DebeziumStreamingLagHigh's threshold; DebeziumStreamingLagGrowing watches its trend.",
                ),
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
                title: Text::new("스트리밍한 이벤트", "Events streamed"),
                description: Text::new(
                    "커넥터별로 Debezium이 초당 스트리밍하는 변경 이벤트 수(5분 기준).",
                    "Change events Debezium streams per second, per connector (over 5m).",
                ),
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
                title: Text::new("스트리밍", "Streaming"),
                description: Text::new(
                    "JMX 브리지에서 본 Debezium 커넥터별 스트리밍 및 연결 여부. Connect는 RUNNING인데 스트리밍하지 않으면 DebeziumConnectorStuck입니다.",
                    "Whether a JMX bridge shows each Debezium connector streaming and connected. Not streaming while Connect says RUNNING is DebeziumConnectorStuck.",
                ),
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
                title: Text::new("DB 연결", "Database connection"),
                description: Text::new(
                    "Debezium의 DB 스트리밍 연결. 스냅샷이 끝난 뒤에 연결합니다.",
                    "Debezium's streaming connection to the database. It connects once the snapshot is over.",
                ),
                visualization: Visualization::StateTimeline,
                unit: "none",
                queries: vec![Query { expr: debezium(&catalog::CONNECTED).to_string(), legend: CONNECTOR_LEGEND }],
                width: 12,
                thresholds: Vec::new(),
                value_texts: vec![(0.0, "DISCONNECTED", "red"), (1.0, "CONNECTED", "green")],
            },
            Panel {
                id: PanelId::QUEUE_FREE,
                title: Text::new("큐 여유", "Queue free capacity"),
                description: Text::new(
                    "Debezium 스트리머와 Kafka Connect 사이 큐의 여유 비율. 0에 가까우면 Connect가 따라가지 못하는 것입니다. 빨간 선은 DebeziumQueueNearlyFull의 임계값입니다.",
                    "Free share of the queue between Debezium's streamer and Kafka Connect; near 0 Connect cannot keep up. The red line is DebeziumQueueNearlyFull's threshold.",
                ),
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
                title: Text::new("실패한 레코드", "Failed records"),
                description: Text::new(
                    "태스크가 (재)시작한 뒤 변환, 가공 또는 전송에 실패한 레코드 수. 재시작하면 0으로 돌아갑니다.",
                    "Records each task failed to convert, transform or produce since it (re)started; a restart resets it to 0.",
                ),
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
        title: Text::new("스냅샷", "Snapshot"),
        panels: vec![
            Panel {
                id: PanelId::SNAPSHOT_STATE,
                title: Text::new("스냅샷 상태", "Snapshot state"),
                description: Text::new(
                    "커넥터별 초기 또는 임시(ad-hoc) 스냅샷이 실행 중인지, 완료되었는지, 중단되었는지(없음: 태스크 시작 후 스냅샷 없음).",
                    "Whether each connector's initial or ad-hoc snapshot is running, completed or aborted (nothing: no snapshot since the task started).",
                ),
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
                title: Text::new("스냅샷 테이블", "Snapshot tables"),
                description: Text::new(
                    "스냅샷 대상 테이블 전체와 아직 복사할 테이블 수.",
                    "Tables the snapshot still has to copy, out of all it covers.",
                ),
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
                title: Text::new("읽은 행 수", "Rows scanned"),
                description: Text::new(
                    "스냅샷이 테이블별로 읽은 행 수. Debezium은 10초마다 진행을 보고합니다. 스냅샷 중에 값이 멈추면 DebeziumSnapshotStalled입니다.",
                    "Rows the snapshot has read per table; Debezium reports progress every 10 s. Flat while the snapshot runs is DebeziumSnapshotStalled.",
                ),
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
        title: Text::new("Kafka", "Kafka"),
        panels: vec![
            Panel {
                id: PanelId::INTERNAL_TOPICS,
                title: Text::new("Connect 내부 토픽", "Connect internal topics"),
                description: Text::new(
                    "Kafka Connect의 설정, 오프셋, 상태 토픽이 있는지. 없으면 커넥터는 RUNNING인 채 오프셋 커밋이 멈출 수 있습니다(런북 3-b단계).",
                    "Whether Kafka Connect's config, offset and status topics exist. Without them connectors may stay RUNNING while their offset commits stall (runbook step 3b).",
                ),
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
                title: Text::new("내부 토픽 compact 여부", "Internal topics compacted"),
                description: Text::new(
                    "내부 토픽의 cleanup.policy에 compact가 있는지. delete이면 Kafka가 결국 커넥터 설정과 오프셋을 지웁니다. 정책을 아예 보고하지 않는 브로커도 있습니다(compact 아님으로 표시).",
                    "Whether each internal topic's cleanup.policy includes compact; with delete, Kafka eventually drops connector configs and offsets. Some brokers report no policy at all (shown as not compacted).",
                ),
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
                title: Text::new("컨슈머 그룹 지연", "Consumer group lag"),
                description: Text::new(
                    "지켜보는 그룹이 토픽별로 아직 커밋하지 않은 레코드 수. 신규 모듈의 그룹은 스냅샷 뒤 0으로 떨어져야 합니다(런북 시나리오 2, 3단계).",
                    "Records each watched group has not committed yet, per topic. A new module's group should fall to 0 after the snapshot (runbook scenario 2, step 3).",
                ),
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
                title: Text::new("마지막 발행 이벤트 후 경과 시간", "Time since last published event"),
                description: Text::new(
                    "현재 시각에서 지켜보는 토픽별 가장 최근 레코드의 시각을 뺀 값. Outbox가 조용하든 파이프라인이 멈췄든, 아무것도 발행되지 않으면 커집니다.",
                    "Now minus the timestamp of the newest record on each watched topic. Grows while nothing is published, whether the outbox is quiet or the pipeline is stuck.",
                ),
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

fn panel_json(panel: &Panel, x: u32, y: u32, height: u32, lang: Lang) -> Value {
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
        "title": panel.title.get(lang),
        "description": panel.description.get(lang),
        "datasource": datasource(DATASOURCE),
        "gridPos": { "h": height, "w": panel.width, "x": x, "y": y },
        "targets": targets,
        "fieldConfig": { "defaults": defaults, "overrides": [] },
        "options": {},
    })
}

fn description() -> Text {
    Text::new(
        "Debezium CDC 파이프라인: Kafka Connect 커넥터와 태스크 상태, Debezium 스트리밍과 스냅샷, PostgreSQL 복제 슬롯, Outbox 적체, Kafka 내부 토픽과 컨슈머 그룹, exporter 자체 상태. `debezium-exporter generate`가 생성한 파일이므로 직접 고치지 마세요.",
        "Debezium CDC pipelines: Kafka Connect connector and task states, Debezium streaming and snapshots, PostgreSQL replication slots, outbox backlog, Kafka internal topics and consumer groups, and the exporter's own health. Generated by `debezium-exporter generate`; do not edit.",
    )
}

/// The dashboard for file provisioning and the sidecar: the datasource is a variable; titles
/// and descriptions in `lang`.
pub fn dashboard(settings: &Settings, alerts: &[Alert], lang: Lang) -> Value {
    const HEIGHT: u32 = 8;
    let mut panels = Vec::new();
    let mut y = 0;
    for row in rows(settings, alerts) {
        panels.push(json!({
            "id": row.id.0, "type": "row", "title": row.title.get(lang), "collapsed": false, "panels": [],
            "gridPos": { "h": 1, "w": 24, "x": 0, "y": y },
        }));
        y += 1;
        let mut x = 0;
        for panel in &row.panels {
            if x + panel.width > 24 {
                x = 0;
                y += HEIGHT;
            }
            panels.push(panel_json(panel, x, y, HEIGHT, lang));
            x += panel.width;
        }
        y += HEIGHT;
    }
    let mut templating = vec![json!({
        "type": "datasource", "name": "datasource", "label": Text::new("데이터 소스", "Data source").get(lang), "query": "prometheus",
    })];
    for variable in variables() {
        templating.push(json!({
            "type": "query",
            "name": variable.label,
            "label": variable.title.get(lang),
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
        "description": description().get(lang),
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
