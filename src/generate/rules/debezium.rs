//! Debezium's own MBeans, read through a JMX bridge (rule group `debezium-exporter.debezium`):
//! a RUNNING connector that does not stream, streaming lag, failed records, the database
//! connection, the queue to Kafka Connect, and a snapshot that makes no progress.

use std::time::Duration;

use super::model::{Alert, Example, Variant, healthy_checked_at};
use crate::catalog::{self, Anchor, Severity, State};
use crate::config::generate::Settings;
use crate::generate::fixture::{
    CLUSTER, CONNECTOR, SERIES_MINUTES, STEP, bean, bean_labels, connector_in, failed_records, flat, linear,
    scraped_labels, snapshot_running, streaming,
};
use crate::generate::lang::{Text, duration_en, duration_ko, percent};
use crate::generate::panel::PanelId;
use crate::generate::promql::{Selector, duration};
use crate::generate::recording;

/// One connector's MBeans: the streaming and snapshot beans of one `server`.
pub(super) const SAME_BEAN: &str = "on (job, instance, cluster, connector, server)";
pub(super) const WHERE_KO: &str = "(Kafka Connect 클러스터: {{ $labels.cluster }})";
pub(super) const WHERE_EN: &str = "(Kafka Connect cluster: {{ $labels.cluster }})";
const MUTED_KO: &str = "커넥터나 그 태스크가 FAILED인 동안 이 알림은 억제됩니다.";
const MUTED_EN: &str = "While the connector or one of its tasks is FAILED this alert is muted.";

/// The group's alerts, in file order; `snapshot.rs` adds the last one.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    vec![
        debezium_connector_stuck(settings),
        debezium_streaming_lag_high(settings),
        debezium_streaming_lag_growing(settings),
        debezium_failed_records(settings),
        debezium_source_disconnected(settings),
        debezium_queue_nearly_full(settings),
    ]
}

fn debezium_connector_stuck(settings: &Settings) -> Alert {
    Alert {
        name: "DebeziumConnectorStuck",
        expr: format!(
            "{} == 0 and on (cluster, connector) {} == 1 unless on (cluster, connector) {} == 1",
            Selector::of(&catalog::CONNECTOR_STREAMING),
            Selector::of(&catalog::CONNECTOR_STATE).eq("state", State::Running.label()),
            Selector::of(&catalog::SNAPSHOT_RUNNING),
        ),
        for_: settings.connector_stuck_for,
        severity: Severity::Critical,
        summary: Text::new(
            "Debezium 커넥터가 RUNNING이지만 스트리밍하지 않음 ({{ $labels.connector }})",
            "Debezium connector RUNNING but not streaming ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "Kafka Connect는 커넥터를 RUNNING으로 보고하지만, {} 이상 Debezium의 스트리밍 MBean이 없거나 DB에 연결되어 있지 않습니다. 변경 이벤트가 발행되지 않고 복제 슬롯에 WAL이 쌓입니다. {WHERE_KO}",
                duration_ko(settings.connector_stuck_for)
            ),
            format!(
                "Kafka Connect reports the connector RUNNING, but for more than {} Debezium's streaming MBean has been missing or not connected to the database. No change events are published and WAL accumulates in the replication slot. {WHERE_EN}",
                duration_en(settings.connector_stuck_for)
            ),
        ),
        runbook: Text::new(
            format!(
                "Connect의 상태만 보면 정상처럼 보이는 장애입니다. PostgreSQL이 멈추면 태스크는 RUNNING인 채 재시도를 기다리고(기본 10초, 재시도마저 접속하지 못하면 태스크가 FAILED가 되어 DebeziumTaskFailed가 이어받습니다), 발행(publication)을 지웠다 다시 만들면 디코딩 오류를 끝없이 반복합니다. `snapshot.mode=initial_only`인 커넥터는 스냅샷 뒤 일부러 스트리밍하지 않습니다(시나리오 2, 4단계). 커넥터 로그(1단계)에서 무엇을 재시도하는지 찾아 해결한 뒤 재시작하세요(2단계). 스냅샷이 도는 동안에는 스트리밍 전이므로 알리지 않습니다. 모든 JMX 브리지(Jolokia, jmx_exporter)가 응답할 때만 판단하므로, 브리지가 응답하지 않으면 DebeziumExporterSourceDown을 보세요. {MUTED_KO}"
            ),
            format!(
                "A failure that Connect's state alone hides. When PostgreSQL goes away the task stays RUNNING while it waits to retry (10 s by default; if the retry cannot connect either, the task turns FAILED and DebeziumTaskFailed takes over); after a publication is dropped and re-created it loops on decode errors forever. A connector with `snapshot.mode=initial_only` does not stream after its snapshot, by design (scenario 2, step 4). Find what it retries in the connector's log (step 1), fix that and restart it (step 2). It stays quiet while a snapshot runs (streaming starts after it). It is only judged while every JMX bridge (Jolokia, jmx_exporter) answers; if one does not, see DebeziumExporterSourceDown. {MUTED_EN}"
            ),
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S2Streaming],
        panel: PanelId::STREAMING,
        muted_by_failed_connector: true,
        example: Example {
            firing: [connector_in(State::Running, settings), vec![streaming(0, settings)]].concat(),
            holds_from: Duration::ZERO,
            labels: scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR)]),
            healthy: [connector_in(State::Running, settings), vec![streaming(1, settings)]].concat(),
            implies: Vec::new(),
            variants: vec![
                Variant {
                    what: "not while a snapshot runs (streaming starts after it)",
                    series: [
                        connector_in(State::Running, settings),
                        vec![streaming(0, settings), snapshot_running(1, settings)],
                    ]
                    .concat(),
                    fires: None,
                    labels: None,
                },
                Variant {
                    what: "not for a PAUSED connector (DebeziumConnectorNotRunning covers it)",
                    series: [connector_in(State::Paused, settings), vec![streaming(0, settings)]].concat(),
                    fires: None,
                    labels: None,
                },
            ],
        },
    }
}

fn debezium_streaming_lag_high(settings: &Settings) -> Alert {
    let series = |metric, values| bean(metric, values, settings);
    let lag = Selector::of(&catalog::MILLI_SECONDS_BEHIND_SOURCE);
    let lag_ms = settings.streaming_lag_threshold.as_millis();
    Alert {
        name: "DebeziumStreamingLagHigh",
        expr: format!(
            "{lag} > {lag_ms} unless {SAME_BEAN} {} > {lag_ms}",
            Selector::of(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT)
        ),
        for_: settings.streaming_lag_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Debezium 스트리밍 지연이 큼 ({{ $labels.connector }})",
            "Debezium streaming lag is high ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}가 처리하는 이벤트가 DB 커밋보다 {} 넘게 늦은 상태가 {} 이상 계속되고 있습니다. 하위 서비스는 그만큼 늦은 데이터를 봅니다. {WHERE_KO}",
                duration_ko(settings.streaming_lag_threshold),
                duration_ko(settings.streaming_lag_for)
            ),
            format!(
                "The events connector {{{{ $labels.connector }}}} processes have been more than {} behind their database commit for more than {}. Downstream services see data that late. {WHERE_EN}",
                duration_en(settings.streaming_lag_threshold),
                duration_en(settings.streaming_lag_for)
            ),
        ),
        runbook: Text::new(
            format!(
                "런북이 가장 중요하다고 꼽은 지표입니다. 이벤트 처리량(Events streamed)과 큐 여유(Queue free capacity)를 함께 보세요: 큐가 차 있으면 Kafka 쪽(프로듀서, 브로커)이 느린 것이고, 큐가 비어 있으면 Debezium이 DB에서 읽는 것이 느린 것입니다(대량 변경, 큰 트랜잭션). 이 값은 마지막 이벤트의 지연이라 DB가 조용하면 그 값에 멈춰 있으므로, 마지막 이벤트가 임계값보다 오래되면 알리지 않습니다(정말 멈춘 것이라면 ReplicationSlotLagHigh와 DebeziumConnectorStuck이 알립니다). {MUTED_KO}"
            ),
            format!(
                "The runbook calls this the most important metric. Read it with the events throughput (Events streamed) and the queue's free capacity: a full queue means the Kafka side (producer, brokers) is slow; an empty one means Debezium reads the database slowly (bulk changes, large transactions). The value is the lag of the last event and freezes while the database is quiet, so the alert stays quiet once the last event is older than the threshold (if streaming really stopped, ReplicationSlotLagHigh and DebeziumConnectorStuck tell). {MUTED_EN}"
            ),
        ),
        steps: &[Anchor::Monitoring, Anchor::S1Logs, Anchor::S1Restart],
        panel: PanelId::STREAMING_LAG,
        muted_by_failed_connector: true,
        example: Example {
            firing: vec![
                series(&catalog::MILLI_SECONDS_BEHIND_SOURCE, flat(lag_ms + 1)),
                series(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT, flat(1000)),
            ],
            holds_from: Duration::ZERO,
            labels: bean_labels(settings),
            healthy: vec![
                series(&catalog::MILLI_SECONDS_BEHIND_SOURCE, flat(lag_ms)),
                series(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT, flat(1000)),
            ],
            implies: Vec::new(),
            variants: vec![Variant {
                what: "not while the source is idle and the lag is frozen at the last event's",
                series: vec![
                    series(&catalog::MILLI_SECONDS_BEHIND_SOURCE, flat(lag_ms + 1)),
                    series(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT, flat(lag_ms + 1)),
                ],
                fires: None,
                labels: None,
            }],
        },
    }
}

fn debezium_streaming_lag_growing(settings: &Settings) -> Alert {
    let series = |metric, values| bean(metric, values, settings);
    let lag = Selector::of(&catalog::MILLI_SECONDS_BEHIND_SOURCE);
    let floor_ms = settings.streaming_lag_growing_floor.as_millis();
    let growing_quiet_until = healthy_checked_at(STEP, settings.streaming_lag_growing_for);
    Alert {
        name: "DebeziumStreamingLagGrowing",
        expr: format!("deriv({lag}[{}]) > 0 and {lag} > {floor_ms}", duration(settings.streaming_lag_growth_window)),
        for_: settings.streaming_lag_growing_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Debezium 스트리밍 지연이 계속 늘어남 ({{ $labels.connector }})",
            "Debezium streaming lag keeps growing ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}의 스트리밍 지연이 {} 이상 계속 늘고 있고 {}보다 큽니다. 런북: \"이 값이 계속 증가하면 심각한 문제입니다.\" {WHERE_KO}",
                duration_ko(settings.streaming_lag_growing_for),
                duration_ko(settings.streaming_lag_growing_floor)
            ),
            format!(
                "The streaming lag of connector {{{{ $labels.connector }}}} has kept growing for more than {} and is above {}. The runbook: \"if it keeps increasing, the problem is serious.\" {WHERE_EN}",
                duration_en(settings.streaming_lag_growing_for),
                duration_en(settings.streaming_lag_growing_floor)
            ),
        ),
        runbook: Text::new(
            format!(
                "Debezium이 DB의 변경 속도를 따라가지 못하고 있어, 그대로 두면 DebeziumStreamingLagHigh와 복제 슬롯 지연으로 이어집니다. 지연이 임계값에 닿기 전에 원인을 찾으세요: 큐 여유가 없으면 Kafka 쪽이, 큐가 비어 있으면 DB 읽기가 병목입니다. 추세는 `streaming_lag_growth_window` 동안의 기울기(deriv)로 보고, `streaming_lag_growing_floor` 아래의 작은 지연이 흔들리는 것은 무시합니다. DB가 조용해 값이 멈추면 기울기가 0이라 알리지 않습니다. {MUTED_KO}"
            ),
            format!(
                "Debezium is not keeping up with the database's rate of change; left alone this becomes DebeziumStreamingLagHigh and replication slot lag. Find the cause before the lag reaches the threshold: no free queue means the Kafka side is the bottleneck, an empty queue means reading the database is. The trend is the slope (deriv) over `streaming_lag_growth_window`; small lags below `streaming_lag_growing_floor` jitter and are ignored. When the database is quiet the value freezes, its slope is 0, and nothing fires. {MUTED_EN}"
            ),
        ),
        steps: &[Anchor::Monitoring, Anchor::S1Logs],
        panel: PanelId::STREAMING_LAG,
        muted_by_failed_connector: true,
        example: Example {
            firing: vec![series(&catalog::MILLI_SECONDS_BEHIND_SOURCE, linear((floor_ms + 1) as f64, 1000.0))],
            holds_from: STEP,
            labels: bean_labels(settings),
            // Above the floor but flat: a frozen or steady lag.
            healthy: vec![series(&catalog::MILLI_SECONDS_BEHIND_SOURCE, flat(floor_ms + 1))],
            implies: Vec::new(),
            variants: vec![Variant {
                what: "growing below the floor",
                series: vec![series(
                    &catalog::MILLI_SECONDS_BEHIND_SOURCE,
                    linear(0.0, (floor_ms / (u128::from(growing_quiet_until.as_secs() / 60) + 1)) as f64),
                )],
                fires: None,
                labels: None,
            }],
        },
    }
}

fn debezium_failed_records(settings: &Settings) -> Alert {
    Alert {
        name: "DebeziumFailedRecords",
        expr: format!(
            "changes({failed}[{}]) > 0 and {failed} > 0",
            duration(settings.failed_records_window),
            failed = Selector::of(&catalog::NUMBER_OF_FAILED_RECORDS)
        ),
        for_: settings.failed_records_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Debezium 태스크에서 실패한 레코드가 늘어남 ({{ $labels.connector }} 태스크 {{ $labels.task }})",
            "Failed records increasing ({{ $labels.connector }} task {{ $labels.task }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}의 태스크 {{{{ $labels.task }}}}에서 최근 {} 안에 변환, 가공 또는 Kafka 전송에 실패한 레코드가 새로 생겼습니다. errors.tolerance=all이면 태스크는 RUNNING인 채 그 레코드를 건너뛰므로 이벤트가 유실될 수 있습니다. {WHERE_KO}",
                duration_ko(settings.failed_records_window)
            ),
            format!(
                "Task {{{{ $labels.task }}}} of connector {{{{ $labels.connector }}}} has had new records fail in conversion, transformation or produce within the last {}. With errors.tolerance=all the task stays RUNNING and skips them, so events may be lost. {WHERE_EN}",
                duration_en(settings.failed_records_window)
            ),
        ),
        runbook: Text::new(
            "태스크의 오류 로그(1단계)에서 실패한 레코드와 원인(예: EventRouter가 처리하지 못하는 UPDATE, 직렬화 오류)을 찾으세요. 데드 레터 큐를 설정했다면 거기서 레코드를 확인하고, 아니면 유실된 이벤트를 다시 발행할 방법을 정하세요. 이 값은 태스크가 (재)시작할 때 0으로 돌아가는 게이지라서, 알림은 증가량(delta)이 아니라 '구간 안에 값이 바뀌었고 지금 0보다 큰가'로 판단합니다: delta는 재시작 직후의 새 실패를 음수 변화로 가립니다. 커넥터 FAILED로 억제하지 않습니다: 실패한 레코드는 그 자체로 다뤄야 할 유실입니다.",
            "Find the failed records and their cause in the task's error log (step 1): for example an UPDATE the EventRouter cannot handle, or a serialization error. If a dead letter queue is configured, look at the records there; otherwise decide how to publish the lost events again. The value is a gauge that returns to 0 when the task (re)starts, so the alert does not use delta (which turns new failures right after a restart into a negative change) but asks whether the count changed within the window and is above 0 now. A FAILED connector does not mute it: failed records are a loss of their own.",
        ),
        steps: &[Anchor::Monitoring, Anchor::S1Logs],
        panel: PanelId::FAILED_RECORDS,
        muted_by_failed_connector: false,
        example: Example {
            firing: vec![failed_records(&format!("0 1+1x{}", SERIES_MINUTES - 1), settings)],
            holds_from: STEP,
            labels: scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR), ("task", "0")]),
            // Failures long ago, none since.
            healthy: vec![failed_records(&flat(5), settings)],
            implies: Vec::new(),
            variants: vec![
                Variant {
                    what: "a task restart resetting the count to 0",
                    series: vec![failed_records(&format!("5x2 0x{}", SERIES_MINUTES - 3), settings)],
                    fires: None,
                    labels: None,
                },
                Variant {
                    what: "new failures right after a restart, where delta would be negative",
                    series: vec![failed_records(&format!("5x2 0 1x{}", SERIES_MINUTES - 4), settings)],
                    fires: Some(4 * STEP),
                    labels: None,
                },
            ],
        },
    }
}

fn debezium_source_disconnected(settings: &Settings) -> Alert {
    let series = |metric, values| bean(metric, values, settings);
    Alert {
        name: "DebeziumSourceDisconnected",
        expr: format!(
            "{} == 0 unless {SAME_BEAN} {} == 1",
            Selector::of(&catalog::CONNECTED),
            Selector::of(&catalog::SNAPSHOT_RUNNING)
        ),
        for_: settings.source_disconnected_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Debezium이 DB에 연결되어 있지 않음 ({{ $labels.connector }})",
            "Debezium is not connected to the database ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}(서버 {{{{ $labels.server }}}})의 스트리밍 연결이 스냅샷 중도 아닌데 {} 이상 끊겨 있습니다. 그동안 변경을 읽지 못합니다. {WHERE_KO}",
                duration_ko(settings.source_disconnected_for)
            ),
            format!(
                "The streaming connection of connector {{{{ $labels.connector }}}} (server {{{{ $labels.server }}}}) has been down for more than {} outside a snapshot. No changes are read meanwhile. {WHERE_EN}",
                duration_en(settings.source_disconnected_for)
            ),
        ),
        runbook: Text::new(
            format!(
                "DB가 살아 있는지, 접속 정보와 `REPLICATION` 권한, `max_wal_senders`가 충분한지, 복제 슬롯을 다른 프로세스가 쓰고 있지 않은지 확인하세요. Debezium은 재시도하는 동안 MBean을 내리기도 하므로, 이 알림 없이 DebeziumConnectorStuck만 울릴 수도 있습니다. {MUTED_KO}"
            ),
            format!(
                "Check that the database is up, the credentials, the `REPLICATION` privilege, that `max_wal_senders` suffices and that no other process holds the replication slot. Debezium may unregister its MBeans while it retries, so DebeziumConnectorStuck can fire without this one. {MUTED_EN}"
            ),
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S1ReplicationSlot],
        panel: PanelId::SOURCE_CONNECTED,
        muted_by_failed_connector: true,
        example: Example {
            firing: vec![series(&catalog::CONNECTED, flat(0))],
            holds_from: Duration::ZERO,
            labels: bean_labels(settings),
            healthy: vec![series(&catalog::CONNECTED, flat(1))],
            implies: Vec::new(),
            variants: vec![Variant {
                what: "not while a snapshot runs (Debezium connects for streaming after it)",
                series: vec![series(&catalog::CONNECTED, flat(0)), snapshot_running(1, settings)],
                fires: None,
                labels: None,
            }],
        },
    }
}

fn debezium_queue_nearly_full(settings: &Settings) -> Alert {
    let series = |metric, values| bean(metric, values, settings);
    // Debezium's default max.queue.size, and the fewest free slots that are not below the ratio.
    let queue_size: u32 = 8192;
    let queue_at_ratio = (settings.queue_remaining_ratio * f64::from(queue_size)).ceil() as u32;
    Alert {
        name: "DebeziumQueueNearlyFull",
        expr: format!("{} < {}", Selector::of(&recording::QUEUE_FREE_RATIO), settings.queue_remaining_ratio),
        for_: settings.queue_nearly_full_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Debezium 큐가 거의 가득 참 ({{ $labels.connector }})",
            "Debezium queue nearly full ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}의 Debezium 큐(스트리머와 Kafka Connect 사이)의 여유가 {} 이상 {}% 미만입니다. Kafka Connect가 이벤트를 Kafka로 보내는 속도가 Debezium이 읽는 속도를 따라가지 못합니다. {WHERE_KO}",
                duration_ko(settings.queue_nearly_full_for),
                percent(settings.queue_remaining_ratio)
            ),
            format!(
                "Less than {}% of connector {{{{ $labels.connector }}}}'s Debezium queue (between the streamer and Kafka Connect) has been free for more than {}. Kafka Connect does not send events to Kafka as fast as Debezium reads them. {WHERE_EN}",
                percent(settings.queue_remaining_ratio),
                duration_en(settings.queue_nearly_full_for)
            ),
        ),
        runbook: Text::new(
            format!(
                "큐가 가득 차면 Debezium은 DB 읽기를 멈추고 지연이 커집니다. Kafka 브로커 상태, Connect 프로듀서 설정(`producer.override.*`, `batch.size`, `linger.ms`), 워커의 CPU와 GC를 확인하세요. 대량 변경 동안 잠시 차는 것은 정상일 수 있습니다; `max.queue.size`와 `max.batch.size`를 늘리는 것도 방법입니다. {MUTED_KO}"
            ),
            format!(
                "With a full queue Debezium stops reading the database and the lag grows. Check the Kafka brokers, the Connect producer settings (`producer.override.*`, `batch.size`, `linger.ms`) and the worker's CPU and GC. Filling up briefly during bulk changes can be normal; raising `max.queue.size` and `max.batch.size` is another way out. {MUTED_EN}"
            ),
        ),
        steps: &[Anchor::Monitoring, Anchor::S1Logs],
        panel: PanelId::QUEUE_FREE,
        muted_by_failed_connector: true,
        example: Example {
            firing: vec![
                series(&catalog::QUEUE_REMAINING_CAPACITY, flat(queue_at_ratio.saturating_sub(1))),
                series(&catalog::QUEUE_TOTAL_CAPACITY, flat(queue_size)),
            ],
            holds_from: Duration::ZERO,
            labels: bean_labels(settings),
            healthy: vec![
                series(&catalog::QUEUE_REMAINING_CAPACITY, flat(queue_at_ratio)),
                series(&catalog::QUEUE_TOTAL_CAPACITY, flat(queue_size)),
            ],
            implies: Vec::new(),
            variants: Vec::new(),
        },
    }
}
