//! Kafka as Connect and the outbox's consumers use it (rule group `debezium-exporter.kafka`):
//! a missing Connect internal topic, and a watched consumer group that does not catch up.

use std::time::Duration;

use super::model::{Alert, Example, Variant};
use crate::catalog::{self, Anchor, Severity};
use crate::config::generate::Settings;
use crate::generate::fixture::{
    ExampleSeries, KAFKA_CLUSTER, SERIES_MINUTES, STEP, constant, flat, linear, scraped, scraped_labels,
};
use crate::generate::lang::{Text, duration_en, duration_ko};
use crate::generate::panel::PanelId;
use crate::generate::promql::{Selector, duration};

/// The group's alerts, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    vec![kafka_connect_internal_topic_missing(settings), consumer_group_not_catching_up(settings)]
}

fn kafka_connect_internal_topic_missing(settings: &Settings) -> Alert {
    let topic_present = |value| {
        let selector = Selector::of(&catalog::CONNECT_INTERNAL_TOPIC_PRESENT)
            .eq("cluster", KAFKA_CLUSTER)
            .eq("topic", "connect-offsets");
        constant(scraped(selector, settings), value)
    };
    Alert {
        name: "KafkaConnectInternalTopicMissing",
        expr: format!("{} == 0", Selector::of(&catalog::CONNECT_INTERNAL_TOPIC_PRESENT)),
        for_: settings.internal_topic_missing_for,
        severity: Severity::Critical,
        summary: Text::new(
            "Kafka Connect 내부 토픽이 없음 ({{ $labels.topic }})",
            "Kafka Connect internal topic missing ({{ $labels.topic }})",
        ),
        description: Text::new(
            format!(
                "Kafka 클러스터 {{{{ $labels.cluster }}}}에 Kafka Connect 내부 토픽 {{{{ $labels.topic }}}}이(가) {} 이상 없습니다. 커넥터는 RUNNING으로 보이고 이벤트도 발행하지만, 오프셋 커밋이 멈춰 복제 슬롯이 전진하지 않고 워커는 설정과 상태 변경을 저장하지 못합니다.",
                duration_ko(settings.internal_topic_missing_for)
            ),
            format!(
                "Kafka Connect internal topic {{{{ $labels.topic }}}} has been missing from Kafka cluster {{{{ $labels.cluster }}}} for more than {}. Connectors look RUNNING and still publish, but their offset commits stall, so the replication slot does not advance, and the workers cannot store configuration or status changes.",
                duration_en(settings.internal_topic_missing_for)
            ),
        ),
        runbook: Text::new(
            "런북 3-b단계(내부 토픽 삭제)를 일부러 진행 중이라면 3-c, 3-d단계로 이어 가세요. 그렇지 않다면 누군가 토픽을 지웠거나 보존 정책 때문에 사라진 것입니다: 워커 설정(`config.storage.topic`, `offset.storage.topic`, `status.storage.topic`)의 이름으로 `cleanup.policy=compact` 토픽을 다시 만들고 워커를 재시작한 뒤, 커넥터 상태와 슬롯의 confirmed_flush_lsn이 다시 전진하는지 확인하세요. 그 사이 워커 로그는 'unknown topic' 재시도로 가득 차고, 커넥터 삭제(`DELETE /connectors/<이름>`)는 30초 뒤 HTTP 500으로 실패합니다.",
            "If you are deliberately at runbook step 3b (deleting the internal topics), go on with steps 3c and 3d. Otherwise someone deleted the topic or retention removed it: create it again with `cleanup.policy=compact` under the name the workers configure (`config.storage.topic`, `offset.storage.topic`, `status.storage.topic`), restart the workers, then check the connectors' state and that the slot's confirmed_flush_lsn advances again. Meanwhile the worker's log floods with 'unknown topic' retries, and `DELETE /connectors/<name>` fails with HTTP 500 after 30 s.",
        ),
        steps: &[Anchor::S1InternalTopics, Anchor::S1ReplicationSlot, Anchor::S1Recreate],
        panel: PanelId::INTERNAL_TOPICS,
        muted_by_failed_connector: false,
        example: Example {
            firing: vec![topic_present(0)],
            holds_from: Duration::ZERO,
            labels: scraped_labels(settings, &[("cluster", KAFKA_CLUSTER), ("topic", "connect-offsets")]),
            healthy: vec![topic_present(1)],
            implies: Vec::new(),
            variants: Vec::new(),
        },
    }
}

fn consumer_group_not_catching_up(settings: &Settings) -> Alert {
    const GROUP: &str = "new-module";
    const TOPIC: &str = "outbox.event.order";
    let group_lag = |values: String| {
        let selector = Selector::of(&catalog::CONSUMERGROUP_LAG_SUM)
            .eq("cluster", KAFKA_CLUSTER)
            .eq("group", GROUP)
            .eq("topic", TOPIC);
        vec![ExampleSeries { selector: scraped(selector, settings), values }]
    };
    let lag = Selector::of(&catalog::CONSUMERGROUP_LAG_SUM);
    let window = duration(settings.consumer_group_lag_window);
    // Lag back to 0 every fourth minute: a consumer that keeps up between commits.
    let sawtooth = format!("{}0", "0+100x3 ".repeat(SERIES_MINUTES as usize / 4));
    Alert {
        name: "ConsumerGroupNotCatchingUp",
        expr: format!("delta({lag}[{window}]) >= 0 and min_over_time({lag}[{window}]) > 0"),
        for_: settings.consumer_group_not_catching_up_for,
        severity: Severity::Warning,
        summary: Text::new(
            "컨슈머 그룹이 따라잡지 못함 ({{ $labels.group }}, {{ $labels.topic }})",
            "Consumer group not catching up ({{ $labels.group }} on {{ $labels.topic }})",
        ),
        description: Text::new(
            format!(
                "컨슈머 그룹 {{{{ $labels.group }}}}의 토픽 {{{{ $labels.topic }}}} 지연(lag)이 {} 이상 0보다 크고 줄지 않고 있습니다(최근 {} 기준). (Kafka 클러스터: {{{{ $labels.cluster }}}})",
                duration_ko(settings.consumer_group_not_catching_up_for),
                duration_ko(settings.consumer_group_lag_window)
            ),
            format!(
                "The lag of consumer group {{{{ $labels.group }}}} on topic {{{{ $labels.topic }}}} has stayed above 0 without falling for more than {} (judged over the last {}). (Kafka cluster: {{{{ $labels.cluster }}}})",
                duration_en(settings.consumer_group_not_catching_up_for),
                duration_en(settings.consumer_group_lag_window)
            ),
        ),
        runbook: Text::new(
            "시나리오 2의 3단계(신규 모듈이 토픽을 모두 소비했는지 확인)가 끝나지 않는 경우입니다. 컨슈머가 떠 있는지, 그룹에 멤버가 있는지(`kafka_consumergroup_members`), 컨슈머 로그에 처리 오류나 재시도가 없는지 확인하세요. 스냅샷처럼 한꺼번에 많은 이벤트가 들어오면 지연이 커지는 것은 정상이지만, 줄어들어야 합니다. 구간 안에 한 번이라도 0이 되면 따라잡고 있는 것으로 봅니다. 4단계(실시간 CDC 전환)는 지연이 0이 된 뒤에 하세요.",
            "Scenario 2's step 3 (check that the new module consumed the whole topic) does not finish. Check that the consumer runs, that the group has members (`kafka_consumergroup_members`), and its log for processing errors and retries. A burst such as a snapshot makes the lag jump, which is normal, but then it must fall. A lag that touched 0 within the window counts as keeping up. Do step 4 (switch to streaming) only once the lag is 0.",
        ),
        steps: &[Anchor::S2Verify],
        panel: PanelId::CONSUMER_GROUP_LAG,
        muted_by_failed_connector: false,
        example: Example {
            // A consumer that stopped: the lag stays where it was.
            firing: group_lag(flat(500)),
            holds_from: STEP,
            labels: scraped_labels(settings, &[("cluster", KAFKA_CLUSTER), ("group", GROUP), ("topic", TOPIC)]),
            healthy: group_lag(linear(10_000.0, -10.0)),
            implies: Vec::new(),
            variants: vec![
                Variant {
                    what: "a lag that keeps growing",
                    series: group_lag(linear(100.0, 100.0)),
                    fires: Some(STEP),
                    labels: None,
                },
                Variant {
                    what: "a consumer whose lag returns to 0 between commits",
                    series: group_lag(sawtooth),
                    fires: None,
                    labels: None,
                },
            ],
        },
    }
}
