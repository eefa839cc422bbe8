//! The Debezium group's snapshot alert (rule group `debezium-exporter.debezium`, listed after
//! `debezium::alerts`): a snapshot that makes no progress. Apart so the group's file stays short.

use std::time::Duration;

use super::debezium::{SAME_BEAN, WHERE_EN, WHERE_KO};
use super::model::{Alert, Example, Variant, healthy_checked_at};
use crate::catalog::{self, Anchor, Severity};
use crate::config::generate::Settings;
use crate::generate::fixture::{
    bean_labels, flat, linear, rows_scanned, snapshot_age, snapshot_running, young_snapshot,
};
use crate::generate::lang::{Text, duration_en, duration_ko};
use crate::generate::panel::PanelId;
use crate::generate::promql::{Selector, duration};

pub(super) fn debezium_snapshot_stalled(settings: &Settings) -> Alert {
    let window = settings.snapshot_stall_window;
    // When a snapshot started at time 0 has run longer than the window.
    let old_enough = Duration::from_secs((window.as_secs() / 60 + 1) * 60);
    let age = |started| snapshot_age(started, settings);
    // One that starts half a window before the healthy check, no row reported yet.
    let checked = healthy_checked_at(old_enough, settings.snapshot_stalled_for).as_secs() / 60;
    let young = young_snapshot(checked - (window.as_secs() / 60 / 2).max(1), settings);
    Alert {
        name: "DebeziumSnapshotStalled",
        // A snapshot younger than the window has had no chance to show progress yet: Debezium
        // reports a table's rows only every 10 s of its scan.
        expr: format!(
            "{} == 1 and {SAME_BEAN} {} > {} unless {SAME_BEAN} changes({}[{}]) > 0",
            Selector::of(&catalog::SNAPSHOT_RUNNING),
            Selector::of(&catalog::SNAPSHOT_DURATION_SECONDS),
            window.as_secs(),
            Selector::of(&catalog::ROWS_SCANNED),
            duration(window)
        ),
        for_: settings.snapshot_stalled_for,
        severity: Severity::Warning,
        summary: Text::new(
            "Debezium 스냅샷이 진행되지 않음 ({{ $labels.connector }})",
            "Debezium snapshot makes no progress ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터 {{{{ $labels.connector }}}}의 스냅샷이 실행 중인데, 어떤 테이블에서도 최근 {} 동안 읽은 행 수가 늘지 않은 상태가 {} 이상 계속되고 있습니다. {WHERE_KO}",
                duration_ko(settings.snapshot_stall_window),
                duration_ko(settings.snapshot_stalled_for)
            ),
            format!(
                "The snapshot of connector {{{{ $labels.connector }}}} is running, but no table's rows scanned has grown within {} for more than {}. {WHERE_EN}",
                duration_en(settings.snapshot_stall_window),
                duration_en(settings.snapshot_stalled_for)
            ),
        ),
        runbook: Text::new(
            "Debezium은 테이블을 읽는 동안 10초마다 진행 상황을 보고하므로, 멈춰 있다면 테이블 잠금 대기(다른 트랜잭션의 잠금, `snapshot.locking.mode`), 느린 쿼리, DB 연결 문제를 의심하세요: `pg_stat_activity`에서 커넥터의 쿼리와 대기 이벤트를 확인하세요. 시나리오 2처럼 새 모듈을 위한 스냅샷이라면 Kafka로의 발행이 막혀 있지 않은지(큐 여유)도 보세요. 시작한 지 `snapshot_stall_window`가 지나지 않은 스냅샷은 판단하지 않습니다: 첫 진행 보고 전이기 때문입니다.",
            "Debezium reports progress every 10 s while it reads a table, so a stall points at waiting for a table lock (another transaction's, `snapshot.locking.mode`), a slow query or a database connection problem: look at the connector's query and its wait event in `pg_stat_activity`. For a snapshot taken for a new module as in scenario 2, also check that publishing to Kafka is not blocked (queue free capacity). A snapshot that has run for less than `snapshot_stall_window` is not judged: it may not have reported progress yet.",
        ),
        steps: &[Anchor::S2Register, Anchor::S1Logs],
        panel: PanelId::SNAPSHOT_ROWS,
        muted_by_failed_connector: false,
        example: Example {
            firing: vec![snapshot_running(1, settings), age(0), rows_scanned(flat(5000), settings)],
            holds_from: old_enough,
            labels: bean_labels(settings),
            healthy: vec![snapshot_running(1, settings), age(0), rows_scanned(linear(0.0, 1000.0), settings)],
            implies: Vec::new(),
            variants: vec![
                Variant {
                    what: "a snapshot that never reported a row (waiting for a lock from the start)",
                    series: vec![snapshot_running(1, settings), age(0)],
                    fires: Some(old_enough),
                    labels: None,
                },
                Variant {
                    what: "a snapshot younger than the window, before Debezium's first progress report",
                    series: young,
                    fires: None,
                    labels: None,
                },
                Variant {
                    what: "once the snapshot has completed",
                    series: vec![snapshot_running(0, settings), age(0), rows_scanned(flat(10_000), settings)],
                    fires: None,
                    labels: None,
                },
            ],
        },
    }
}
