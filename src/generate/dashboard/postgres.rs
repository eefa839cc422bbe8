//! PostgreSQL's rows: replication slots (lag, retained WAL, WAL status, consumers, orphans,
//! the database's WAL rate) and the outbox tables.

use super::model::{Panel, Query, Row, Visualization};
use crate::catalog::{self, WAL_STATUSES};
use crate::config::generate::Settings;
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;
use crate::generate::recording;

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

pub fn slots_row(settings: &Settings) -> Row {
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
                queries: vec![Query { expr: slot(&catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES), legend: SLOT_LEGEND }],
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
                queries: vec![Query { expr: Selector::of(&recording::WAL_WRITE_RATE).to_string(), legend: "{{db}}" }],
                width: 24,
                thresholds: Vec::new(),
                value_texts: Vec::new(),
            },
        ],
    }
}

pub fn outbox_row(settings: &Settings) -> Row {
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
    }
}
