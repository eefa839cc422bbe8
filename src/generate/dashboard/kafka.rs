//! Kafka's row: Connect's internal topics, and the consumer groups and topics the outbox
//! publishes to.

use super::model::{Panel, Query, Row, Visualization};
use crate::catalog;
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;

/// Kafka's `cluster` label names the Kafka cluster, not the Connect cluster of the dashboard's
/// variable, so these panels are not filtered by it.
pub fn kafka_row() -> Row {
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
