//! PostgreSQL as Debezium reads it (rule group `debezium-exporter.postgres`): replication
//! slots without a consumer, lagging, about to be lost, lost or orphaned, and the outbox table
//! holding old rows or growing.

use std::time::Duration;

use super::model::{Alert, Example, Variant, healthy_checked_at};
use super::slots::with_cluster;
use crate::catalog::{self, Anchor, Severity, bytes_text};
use crate::config::generate::Settings;
use crate::generate::fixture::{
    CLUSTER, DATABASE, EXPORTER_INSTANCE, ExampleSeries, OUTBOX_TABLE, SERIES_MINUTES, SLOT, STEP, bean, claimed_slot,
    connect_outage, connector_info, constant, flat, linear, outbox_selector, scraped, scraped_labels, slot_labels,
    slot_selector, wal_status,
};
use crate::generate::lang::{Text, duration_en, duration_ko};
use crate::generate::panel::PanelId;
use crate::generate::promql::{Selector, duration};

const SLOT_WHERE_KO: &str = "(DB: {{ $labels.db }}, 커넥터: {{ $labels.connector }})";
const SLOT_WHERE_EN: &str = "(database: {{ $labels.db }}, connector: {{ $labels.connector }})";

/// The group's alerts, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    vec![
        replication_slot_inactive(settings),
        replication_slot_lag_high(settings),
        replication_slot_wal_at_risk(settings),
        replication_slot_lost(settings),
        replication_slot_orphaned(settings),
        outbox_oldest_event_too_old(settings),
        outbox_backlog_growing(settings),
    ]
}

fn replication_slot_inactive(settings: &Settings) -> Alert {
    Alert {
        name: "ReplicationSlotInactive",
        // A snapshot reads the tables, not the slot: the slot is read once streaming starts.
        expr: format!(
            "({}) unless on (cluster, connector) {} == 1",
            with_cluster(&format!("{} == 0", Selector::of(&catalog::REPLICATION_SLOT_ACTIVE))),
            Selector::of(&catalog::SNAPSHOT_RUNNING).ne("connector", "")
        ),
        for_: settings.slot_inactive_for,
        severity: Severity::Warning,
        summary: Text::new(
            "복제 슬롯에 연결된 소비자가 없음 ({{ $labels.slot }})",
            "Replication slot has no consumer ({{ $labels.slot }})",
        ),
        description: Text::new(
            format!(
                "복제 슬롯 {{{{ $labels.slot }}}}에 {} 이상 아무도 연결되어 있지 않습니다. 그동안 변경 이벤트가 읽히지 않고, PostgreSQL은 이 슬롯을 위해 WAL을 지우지 못해 디스크가 찹니다. {SLOT_WHERE_KO}",
                duration_ko(settings.slot_inactive_for)
            ),
            format!(
                "Nothing has been connected to replication slot {{{{ $labels.slot }}}} for more than {}. Meanwhile no changes are read, and PostgreSQL cannot remove WAL for this slot, so the disk fills. {SLOT_WHERE_EN}",
                duration_en(settings.slot_inactive_for)
            ),
        ),
        runbook: Text::new(
            "슬롯을 읽는 커넥터가 멈췄습니다(FAILED, PAUSED, STOPPED, 또는 RUNNING이지만 DB에 연결하지 못함: PostgreSQL이 멈추면 Connect는 태스크를 RUNNING으로 둔 채 10초마다 재시도합니다). 커넥터 로그를 보고 재시작하세요. 더 이상 쓰지 않는 슬롯이면(커넥터 라벨이 비어 있으면) 3-c단계대로 삭제해 WAL을 풀어 주세요. 커넥터의 스냅샷이 도는 동안에는 알리지 않습니다: 슬롯은 스냅샷이 끝나고 스트리밍이 시작되어야 읽히며, 큰 테이블의 스냅샷은 몇 시간이 걸리기도 합니다. 커넥터가 FAILED인 동안 이 알림은 억제됩니다.",
            "The connector reading the slot has stopped (FAILED, PAUSED, STOPPED, or RUNNING but unable to reach the database: when PostgreSQL is down Connect keeps the task RUNNING and retries every 10 s). Read the connector's log and restart it. If nothing uses the slot any more (empty connector label), drop it as in step 3c to release the WAL. It stays quiet while the connector's snapshot runs: the slot is read once streaming starts after it, and the snapshot of a large table can take hours. While the connector is FAILED this alert is muted.",
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S1ReplicationSlot],
        panel: PanelId::SLOT_ACTIVE,
        muted_by_failed_connector: true,
        example: Example {
            firing: claimed_slot(&catalog::REPLICATION_SLOT_ACTIVE, format!("0x{SERIES_MINUTES}"), settings),
            holds_from: Duration::ZERO,
            labels: slot_labels(settings, &[]),
            healthy: claimed_slot(&catalog::REPLICATION_SLOT_ACTIVE, format!("1x{SERIES_MINUTES}"), settings),
            implies: Vec::new(),
            variants: vec![
                Variant {
                    what: "a slot no connector claims alerts too, without cluster and connector",
                    series: vec![
                        constant(slot_selector(&catalog::REPLICATION_SLOT_ACTIVE, false, settings), 0),
                        connector_info(settings),
                    ],
                    fires: Some(Duration::ZERO),
                    labels: Some(scraped_labels(
                        settings,
                        &[("db", DATABASE), ("slot", SLOT), ("slot_type", "logical"), ("plugin", "pgoutput")],
                    )),
                },
                Variant {
                    what: "not while its connector's snapshot runs (a large table takes hours)",
                    series: [
                        claimed_slot(&catalog::REPLICATION_SLOT_ACTIVE, format!("0x{SERIES_MINUTES}"), settings),
                        vec![bean(&catalog::SNAPSHOT_RUNNING, flat(1), settings)],
                    ]
                    .concat(),
                    fires: None,
                    labels: None,
                },
                Variant {
                    what: "a Connect worker restarting (its info series gone for minutes) does not restart the `for`",
                    series: vec![
                        constant(slot_selector(&catalog::REPLICATION_SLOT_ACTIVE, true, settings), 0),
                        connect_outage(connector_info(settings), 3),
                    ],
                    fires: Some(Duration::ZERO),
                    labels: None,
                },
            ],
        },
    }
}

fn replication_slot_lag_high(settings: &Settings) -> Alert {
    let lag_threshold = settings.slot_lag_threshold_bytes;
    Alert {
        name: "ReplicationSlotLagHigh",
        expr: with_cluster(&format!("{} > {lag_threshold}", Selector::of(&catalog::REPLICATION_SLOT_LAG_BYTES))),
        for_: settings.slot_lag_for,
        severity: Severity::Warning,
        summary: Text::new(
            "복제 슬롯 지연이 큼 ({{ $labels.slot }})",
            "Replication slot lag is high ({{ $labels.slot }})",
        ),
        description: Text::new(
            format!(
                "복제 슬롯 {{{{ $labels.slot }}}}의 소비자가 확인하지 않은 WAL이 {} 이상 {}를 넘었습니다. Debezium이 DB 변경을 따라가지 못하고 있으며, 그만큼의 WAL이 디스크에 남습니다. {SLOT_WHERE_KO}",
                duration_ko(settings.slot_lag_for),
                bytes_text(lag_threshold as f64)
            ),
            format!(
                "The consumer of replication slot {{{{ $labels.slot }}}} has left more than {} of WAL unconfirmed for more than {}. Debezium is not keeping up with the database, and that much WAL stays on disk. {SLOT_WHERE_EN}",
                bytes_text(lag_threshold as f64),
                duration_en(settings.slot_lag_for)
            ),
        ),
        runbook: Text::new(
            "슬롯이 활성(active)인데 지연이 크면 커넥터가 느리거나 오프셋 커밋이 멈춘 것입니다(내부 토픽이 없으면 커넥터는 RUNNING인데 confirmed_flush_lsn이 멈춥니다: 3-b단계 참고). 슬롯이 비활성이면 ReplicationSlotInactive를 보세요. 커넥터의 테이블에 변경이 없는데 다른 DB의 WAL 때문에 지연이 커진다면 Debezium의 heartbeat(`heartbeat.interval.ms`, `heartbeat.action.query`)를 설정하세요. 커넥터가 FAILED인 동안 이 알림은 억제됩니다.",
            "If the slot is active but lags, the connector is slow or its offset commits have stalled (without its internal topics the connector stays RUNNING while confirmed_flush_lsn stops: see step 3b). If the slot is inactive, see ReplicationSlotInactive. If the connector's tables see no changes while other databases write WAL, configure Debezium's heartbeat (`heartbeat.interval.ms`, `heartbeat.action.query`). While the connector is FAILED this alert is muted.",
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S1ReplicationSlot],
        panel: PanelId::SLOT_LAG,
        muted_by_failed_connector: true,
        example: Example {
            firing: claimed_slot(
                &catalog::REPLICATION_SLOT_LAG_BYTES,
                format!("{}x{SERIES_MINUTES}", lag_threshold + 1),
                settings,
            ),
            holds_from: Duration::ZERO,
            labels: slot_labels(settings, &[]),
            healthy: claimed_slot(
                &catalog::REPLICATION_SLOT_LAG_BYTES,
                format!("{lag_threshold}x{SERIES_MINUTES}"),
                settings,
            ),
            implies: Vec::new(),
            variants: Vec::new(),
        },
    }
}

fn replication_slot_wal_at_risk(settings: &Settings) -> Alert {
    let horizon = settings.slot_safe_wal_horizon;
    // safe_wal_size falls by this much a minute in the examples.
    let wal_per_minute = f64::from(1u32 << 20);
    // With wal_status() beside it, which brings the connector info.
    let safe_wal = |start: f64| {
        vec![ExampleSeries {
            selector: slot_selector(&catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES, true, settings),
            values: linear(start, -wal_per_minute),
        }]
    };
    let at_risk_expr = format!(
        "max without (status) ({} == 1) or predict_linear({}[{}], {}) <= 0",
        Selector::of(&catalog::REPLICATION_SLOT_WAL_STATUS).eq("status", "unreserved"),
        Selector::of(&catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES),
        duration(settings.slot_safe_wal_window),
        horizon.as_secs(),
    );
    Alert {
        name: "ReplicationSlotWalAtRisk",
        expr: with_cluster(&at_risk_expr),
        for_: settings.slot_wal_at_risk_for,
        severity: Severity::Critical,
        summary: Text::new(
            "복제 슬롯이 곧 lost 상태가 될 위험 ({{ $labels.slot }})",
            "Replication slot about to be lost ({{ $labels.slot }})",
        ),
        description: Text::new(
            format!(
                "복제 슬롯 {{{{ $labels.slot }}}}의 WAL이 max_slot_wal_keep_size를 넘었거나(unreserved), 지금 추세로는 {} 안에 넘습니다. lost가 되면 Debezium은 이어서 읽을 수 없고 초기 스냅샷부터 다시 해야 합니다. {SLOT_WHERE_KO}",
                duration_ko(horizon)
            ),
            format!(
                "The WAL of replication slot {{{{ $labels.slot }}}} is past max_slot_wal_keep_size (unreserved), or will be within {} at the current rate. Once lost, Debezium cannot resume and must start again from an initial snapshot. {SLOT_WHERE_EN}",
                duration_en(horizon)
            ),
        ),
        runbook: Text::new(
            "남은 시간 안에 슬롯의 소비자를 되살리는 것이 최우선입니다: 커넥터 로그를 보고 재시작하세요. 시간이 모자라면 DBA와 함께 `max_slot_wal_keep_size`를 일시적으로 늘리는 것을 검토하세요(디스크 여유 확인). 커넥터가 FAILED여도 이 알림은 억제하지 않습니다: 마감 시각을 알려 주기 때문입니다.",
            "Getting the slot's consumer back before the deadline comes first: read the connector's log and restart it. If time is short, consider raising `max_slot_wal_keep_size` for a while with your DBA (check free disk). This alert is not muted by a FAILED connector: it tells you the deadline.",
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S1ReplicationSlot],
        panel: PanelId::SLOT_SAFE_WAL_SIZE,
        muted_by_failed_connector: false,
        example: Example {
            // Falling so fast that the first prediction is one minute's WAL below 0.
            firing: [safe_wal(horizon.as_secs_f64() / 60.0 * wal_per_minute), wal_status("reserved", settings)]
                .concat(),
            holds_from: STEP,
            labels: slot_labels(settings, &[]),
            // The same fall, still one minute's WAL above 0 when last checked.
            healthy: [
                safe_wal(
                    (horizon + healthy_checked_at(STEP, settings.slot_wal_at_risk_for) + STEP).as_secs_f64() / 60.0
                        * wal_per_minute,
                ),
                wal_status("reserved", settings),
            ]
            .concat(),
            implies: Vec::new(),
            variants: vec![Variant {
                what: "a slot already unreserved",
                series: wal_status("unreserved", settings),
                fires: Some(Duration::ZERO),
                labels: None,
            }],
        },
    }
}

fn replication_slot_lost(settings: &Settings) -> Alert {
    Alert {
        name: "ReplicationSlotLost",
        expr: with_cluster(&format!(
            "{} == 1",
            Selector::of(&catalog::REPLICATION_SLOT_WAL_STATUS).eq("status", "lost")
        )),
        for_: settings.slot_lost_for,
        severity: Severity::Critical,
        summary: Text::new("복제 슬롯이 lost 상태 ({{ $labels.slot }})", "Replication slot lost ({{ $labels.slot }})"),
        description: Text::new(
            format!(
                "복제 슬롯 {{{{ $labels.slot }}}}에 필요한 WAL이 삭제되었습니다(wal_status=lost). 이 슬롯으로는 Debezium이 이어서 읽을 수 없어, 그 사이의 변경이 유실됩니다. {SLOT_WHERE_KO}"
            ),
            format!(
                "WAL that replication slot {{{{ $labels.slot }}}} needs has been removed (wal_status=lost). Debezium cannot resume from this slot: the changes in between are lost. {SLOT_WHERE_EN}"
            ),
        ),
        runbook: Text::new(
            "재시작으로는 복구되지 않습니다. 3-c단계대로 슬롯을 삭제하고 3-d단계대로 커넥터를 (새 이름으로, 또는 오프셋을 지운 뒤) 다시 등록해 초기 스냅샷을 받으세요. 소비자 쪽에서 중복 이벤트를 견딜 수 있는지 확인하세요. 커넥터가 FAILED여도 이 알림은 억제하지 않습니다: 복구 절차가 다르기 때문입니다.",
            "A restart will not fix this. Drop the slot as in step 3c and register the connector again as in step 3d (under a new name, or after deleting its offsets) to take an initial snapshot. Check that consumers tolerate duplicate events. This alert is not muted by a FAILED connector: the recovery is different.",
        ),
        steps: &[Anchor::S1ReplicationSlot, Anchor::S1Recreate],
        panel: PanelId::SLOT_WAL_STATUS,
        muted_by_failed_connector: false,
        example: Example {
            firing: wal_status("lost", settings),
            holds_from: Duration::ZERO,
            labels: slot_labels(settings, &[("status", "lost")]),
            healthy: wal_status("unreserved", settings),
            implies: Vec::new(),
            variants: Vec::new(),
        },
    }
}

fn replication_slot_orphaned(settings: &Settings) -> Alert {
    let orphaned = |value| {
        constant(
            scraped(Selector::of(&catalog::REPLICATION_SLOT_ORPHANED).eq("db", DATABASE).eq("slot", SLOT), settings),
            value,
        )
    };
    let connect_up = |instance: &str, value| {
        let selector = Selector::of(&catalog::SOURCE_UP)
            .eq("source", "connect")
            .eq("target", CLUSTER)
            .eq("job", settings.exporter_job.clone())
            .eq("instance", instance);
        constant(selector, value)
    };
    Alert {
        name: "ReplicationSlotOrphaned",
        expr: format!(
            "{} == 1 unless on (job, instance) {} == 0",
            Selector::of(&catalog::REPLICATION_SLOT_ORPHANED),
            Selector::of(&catalog::SOURCE_UP).eq("source", "connect"),
        ),
        for_: settings.slot_orphaned_for,
        severity: Severity::Warning,
        summary: Text::new(
            "어떤 커넥터도 쓰지 않는 복제 슬롯 ({{ $labels.slot }})",
            "Replication slot no connector uses ({{ $labels.slot }})",
        ),
        description: Text::new(
            format!(
                "논리 복제 슬롯 {{{{ $labels.slot }}}}(DB: {{{{ $labels.db }}}})를 {} 이상 어떤 Debezium 커넥터도 쓰지 않고 있습니다. 이 슬롯은 아무도 읽지 않는 WAL을 계속 붙잡아 둡니다.",
                duration_ko(settings.slot_orphaned_for)
            ),
            format!(
                "No Debezium connector has used logical replication slot {{{{ $labels.slot }}}} (database: {{{{ $labels.db }}}}) for more than {}. It keeps WAL that nobody reads.",
                duration_en(settings.slot_orphaned_for)
            ),
        ),
        runbook: Text::new(
            "커넥터를 삭제하거나 이름을 바꾼 뒤 남은 슬롯인 경우가 많습니다. 다른 용도(다른 CDC 도구, 논리 복제 구독)로 쓰는 슬롯이 아닌지 확인한 다음 3-c단계대로 삭제하세요. 이 exporter의 Connect 소스 중 하나라도 수집에 실패하는 동안에는 알리지 않습니다(그 클러스터의 커넥터를 알 수 없으므로).",
            "Usually left behind by a deleted or renamed connector. Check that nothing else uses it (another CDC tool, a logical replication subscription), then drop it as in step 3c. It does not alert while any Connect source of this exporter fails to be polled (that cluster's connectors are unknown meanwhile).",
        ),
        steps: &[Anchor::S1ReplicationSlot],
        panel: PanelId::SLOT_ORPHANED,
        muted_by_failed_connector: false,
        example: Example {
            firing: vec![orphaned(1), connect_up(EXPORTER_INSTANCE, 1)],
            holds_from: Duration::ZERO,
            labels: scraped_labels(settings, &[("db", DATABASE), ("slot", SLOT)]),
            healthy: vec![orphaned(0), connect_up(EXPORTER_INSTANCE, 1)],
            implies: Vec::new(),
            variants: vec![
                Variant {
                    what: "not while this exporter cannot poll a Connect cluster",
                    series: vec![orphaned(1), connect_up(EXPORTER_INSTANCE, 0)],
                    fires: None,
                    labels: None,
                },
                Variant {
                    what: "another exporter's Connect source being down does not hide it",
                    series: vec![orphaned(1), connect_up(EXPORTER_INSTANCE, 1), connect_up("other-exporter:9543", 0)],
                    fires: Some(Duration::ZERO),
                    labels: None,
                },
            ],
        },
    }
}

fn outbox_oldest_event_too_old(settings: &Settings) -> Alert {
    let oldest_age = settings.outbox_oldest_event_age.as_secs();
    Alert {
        name: "OutboxOldestEventTooOld",
        expr: format!("{} > {oldest_age}", Selector::of(&catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS)),
        for_: settings.outbox_oldest_event_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Outbox에 오래된 이벤트가 남아 있음 ({{ $labels.table }})",
            "Old events remain in the outbox ({{ $labels.table }})",
        ),
        description: Text::new(
            format!(
                "Outbox 테이블 {{{{ $labels.table }}}}(DB: {{{{ $labels.db }}}})의 가장 오래된 행이 {}보다 오래되었습니다.",
                duration_ko(settings.outbox_oldest_event_age)
            ),
            format!(
                "The oldest row of outbox table {{{{ $labels.table }}}} (database: {{{{ $labels.db }}}}) is older than {}.",
                duration_en(settings.outbox_oldest_event_age)
            ),
        ),
        runbook: Text::new(
            "행을 넣고 같은 트랜잭션에서 지우는 방식이면 테이블은 비어 있어야 합니다: 지우지 못한 트랜잭션이나 다른 쓰기 경로를 찾으세요. 행을 남기고 나중에 정리(purge)하는 방식이면 정리 작업이 멈춘 것입니다(임계값은 보존 기간보다 크게 잡으세요). 어느 쪽이든 이 값은 발행 지연이 아닙니다: 발행 여부는 커넥터 상태와 슬롯 지연으로 확인하세요(시나리오 1).",
            "With insert-and-delete in one transaction the table should be empty: look for transactions or write paths that do not delete. With keep-and-purge the purge job has stopped (set the threshold above your retention). Either way this is not the publishing delay: check publishing with the connector's state and the slot lag (scenario 1).",
        ),
        steps: &[Anchor::S1Symptoms, Anchor::S1Logs],
        panel: PanelId::OUTBOX_OLDEST_AGE,
        muted_by_failed_connector: false,
        example: Example {
            firing: vec![ExampleSeries {
                selector: outbox_selector(&catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS, settings),
                values: format!("{}x{SERIES_MINUTES}", oldest_age + 1),
            }],
            holds_from: Duration::ZERO,
            labels: scraped_labels(settings, &[("db", DATABASE), ("table", OUTBOX_TABLE)]),
            healthy: vec![ExampleSeries {
                selector: outbox_selector(&catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS, settings),
                values: format!("{oldest_age}x{SERIES_MINUTES}"),
            }],
            implies: Vec::new(),
            variants: Vec::new(),
        },
    }
}

fn outbox_backlog_growing(settings: &Settings) -> Alert {
    // Rows under a purge every four minutes: `level(cycle)` just after each, 50 more a minute.
    let purged = |level: &dyn Fn(u32) -> u32| ExampleSeries {
        selector: outbox_selector(&catalog::OUTBOX_TABLE_ROWS, settings),
        values: (0..SERIES_MINUTES / 4).map(|cycle| format!("{}+50x3", level(cycle))).collect::<Vec<_>>().join(" "),
    };
    Alert {
        name: "OutboxBacklogGrowing",
        // Grew and never shrank within the window: a purge that runs keeps it quiet even when
        // the level steps up (a burst, more traffic), which keeps deriv() positive for a window.
        expr: format!(
            "deriv({rows}[{window}]) > 0 and resets({rows}[{window}]) == 0",
            rows = Selector::of(&catalog::OUTBOX_TABLE_ROWS),
            window = duration(settings.outbox_growth_window)
        ),
        for_: settings.outbox_growing_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Outbox 테이블이 계속 커짐 ({{ $labels.table }})",
            "Outbox table keeps growing ({{ $labels.table }})",
        ),
        description: Text::new(
            format!(
                "Outbox 테이블 {{{{ $labels.table }}}}(DB: {{{{ $labels.db }}}})의 행 수가 {} 이상 늘기만 하고 있습니다.",
                duration_ko(settings.outbox_growing_for)
            ),
            format!(
                "Outbox table {{{{ $labels.table }}}} (database: {{{{ $labels.db }}}}) has done nothing but grow for more than {}.",
                duration_en(settings.outbox_growing_for)
            ),
        ),
        runbook: Text::new(
            "런북 시나리오 1의 증상입니다: 이벤트가 쌓이는데 발행되지 않는지 커넥터 상태와 슬롯 지연을 먼저 확인하세요. 커넥터가 정상이면, 행을 남기고 나중에 정리하는 방식에서 정리 작업이 멈춘 것입니다. 측정 구간 `outbox_growth_window` 안에 행 수가 한 번이라도 줄었으면(정리가 돌았으면) 알리지 않으므로, 구간은 정리 주기보다 길게 잡으세요: 한꺼번에 들어온 행이나 늘어난 트래픽으로 수준이 한 번 올라간 것은 장애가 아닙니다. 정리가 돌지만 넣는 만큼 지우지 못하면 가장 오래된 행이 늙어 가므로 OutboxOldestEventTooOld가 알립니다. 행 수는 count_cap에서 멈추므로, 그 값에 닿으면 이 알림은 풀립니다.",
            "This is scenario 1's symptom: first check with the connector's state and the slot lag whether events pile up unpublished. If the connector is fine, the purge of a keep-and-purge outbox has stopped. One decrease of the row count within `outbox_growth_window` (a purge run) keeps the alert quiet, so make the window longer than the purge interval: a level that steps up once (a burst of rows, more traffic) is not an incident. A purge that runs but deletes less than is inserted lets the oldest row age, which OutboxOldestEventTooOld reports. The row count stops at count_cap, so this alert resolves once it gets there.",
        ),
        steps: &[Anchor::S1Symptoms, Anchor::S1Logs, Anchor::S1Restart],
        panel: PanelId::OUTBOX_ROWS,
        muted_by_failed_connector: false,
        example: Example {
            firing: vec![ExampleSeries {
                selector: outbox_selector(&catalog::OUTBOX_TABLE_ROWS, settings),
                values: linear(0.0, 10.0),
            }],
            holds_from: STEP,
            labels: scraped_labels(settings, &[("db", DATABASE), ("table", OUTBOX_TABLE)]),
            // Traffic growing while the purge runs: the level rises (deriv > 0 over any window),
            // but the table shrinks at every purge.
            healthy: vec![purged(&|cycle| 1000 + 100 * cycle)],
            implies: Vec::new(),
            variants: vec![Variant {
                what: "bursts of rows into an outbox whose purge runs (its level steps up twice)",
                series: vec![purged(&|cycle| 1000 + 20_000 * (u32::from(cycle >= 1) + u32::from(cycle >= 5)))],
                fires: None,
                labels: None,
            }],
        },
    }
}
