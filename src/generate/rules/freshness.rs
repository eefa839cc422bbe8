//! How fresh each connector's events are (rule group `debezium-exporter.freshness`): the
//! exporter's `debezium_connector_freshness`, derived from Debezium's MBeans and the connector's
//! replication slot (docs/sources.md has the rules). One alert per state that needs a person.

use std::time::Duration;

use super::model::{Alert, Example, Variant};
use crate::catalog::{self, Anchor, Freshness, Severity};
use crate::config::generate::Settings;
use crate::generate::fixture::{CLUSTER, CONNECTOR, ExampleSeries, constant, scraped, scraped_labels};
use crate::generate::lang::{Text, duration_en, duration_ko};
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;

/// How long a connector must stay `stalled` before it pages. The state itself already waits
/// for the slot's position to stand still 5 minutes (`join::freshness::STALLED_AFTER`).
const STALLED_FOR: Duration = Duration::from_secs(5 * 60);

/// The group's alerts, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    vec![debezium_connector_stalled(settings)]
}

/// What the exporter emits for the example connector in `state`: six series, 1 for its own.
fn freshness_in(state: Freshness, settings: &Settings) -> Vec<ExampleSeries> {
    Freshness::ALL
        .into_iter()
        .map(|each| {
            let selector = Selector::of(&catalog::CONNECTOR_FRESHNESS)
                .eq("cluster", CLUSTER)
                .eq("connector", CONNECTOR)
                .eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

fn debezium_connector_stalled(settings: &Settings) -> Alert {
    let stalled = Freshness::Stalled.label();
    Alert {
        name: "DebeziumConnectorStalled",
        expr: format!("{} == 1", Selector::of(&catalog::CONNECTOR_FRESHNESS).eq("state", stalled)),
        for_: STALLED_FOR,
        severity: Severity::Critical,
        summary: Text::new(
            "Debezium 커넥터가 멈춤: DB 변경이 슬롯에서 기다림 ({{ $labels.connector }})",
            "Debezium connector stalled: database changes wait in its slot ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}는 DB에 연결되어 있지만, 복제 슬롯의 확인 위치(confirmed_flush_lsn)가 5분 넘게 그대로인 동안 그 데이터베이스에 변경이 있었고, 이 상태가 {} 이상 계속되고 있습니다. Debezium이 보고하는 작은 지연은 마지막 이벤트의 값에 멈춰 있을 뿐입니다. (Kafka Connect 클러스터: {{{{ $labels.cluster }}}})",
                duration_ko(STALLED_FOR)
            ),
            format!(
                "Connector {{{{ $labels.connector }}}} is connected to its database, but its replication slot's confirmed position (confirmed_flush_lsn) has not moved for more than 5 minutes while that database changed rows, and this has lasted more than {}. The small lag Debezium reports is only frozen at the last event's. (Kafka Connect cluster: {{{{ $labels.cluster }}}})",
                duration_en(STALLED_FOR)
            ),
        ),
        runbook: Text::new(
            "조용한 것(idle)과 멈춘 것(stalled)은 Debezium의 지표만으로는 같아 보입니다: 둘 다 마지막 이벤트의 작은 지연에 멈춰 있습니다. 익스포터는 커넥터의 슬롯을 봅니다: 슬롯의 데이터베이스에 자기 변경(`pg_stat_database`의 행 변경)이 있었는데 확인 위치가 5분 넘게 움직이지 않으면 멈춘 것입니다. 큐 여유(Queue free capacity)가 0이면 Kafka 쪽(프로듀서, 브로커, 토픽 권한)이 막힌 것이고, 큐가 비어 있으면 DB에서 읽는 쪽입니다: 커넥터 로그(1단계)를 보고 재시작하세요(2단계). 발행(publication)에 없는 테이블만 바뀌는 DB라면 이 알림이 잘못 울릴 수 있습니다: `heartbeat.interval.ms`를 설정하면 그런 변경도 확인 위치를 움직여 해소됩니다. 커넥터나 그 태스크가 FAILED인 동안 이 알림은 억제됩니다.",
            "Idle and stalled look the same in Debezium's own metrics: both freeze at the last event's small lag. The exporter looks at the connector's slot: when the slot's database changed rows of its own (`pg_stat_database`) while the confirmed position has not moved for more than 5 minutes, the connector is stalled. A queue with no free capacity points at the Kafka side (producer, brokers, topic ACLs), an empty one at reading the database: read the connector's log (step 1) and restart it (step 2). A database that only changes tables outside the publication can make this fire wrongly: set `heartbeat.interval.ms`, which makes such changes move the confirmed position too. While the connector or one of its tasks is FAILED this alert is muted.",
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart],
        panel: PanelId::STREAMING,
        muted_by_failed_connector: true,
        example: Example {
            firing: freshness_in(Freshness::Stalled, settings),
            holds_from: Duration::ZERO,
            labels: scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR), ("state", stalled)]),
            healthy: freshness_in(Freshness::Idle, settings),
            implies: Vec::new(),
            variants: vec![Variant {
                what: "not while a snapshot runs",
                series: freshness_in(Freshness::Snapshotting, settings),
                fires: None,
                labels: None,
            }],
        },
    }
}
