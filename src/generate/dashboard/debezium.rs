//! Debezium's rows, from its MBeans: streaming (lag, throughput, queue, failed records, the
//! database connection) and snapshots.

use super::model::{Panel, Query, Row, Visualization};
use crate::catalog;
use crate::config::generate::Settings;
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;
use crate::generate::recording;

/// A Debezium series of the selected clusters and connectors.
fn debezium(metric: &'static catalog::Metric) -> Selector {
    Selector::of(metric).var("cluster").var("connector")
}

const CONNECTOR_LEGEND: &str = "{{cluster}} / {{connector}}";

pub fn streaming_row(settings: &Settings) -> Row {
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

pub fn snapshot_row() -> Row {
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
