//! The exporter's own rows: how its polls of each source go, and the alerts of the generated
//! rules that are pending or firing.

use super::model::{Panel, Query, Row, Visualization};
use crate::catalog;
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::{PROMETHEUS_ALERTS, Selector};
use crate::generate::rules::Alert;

pub fn source_health_row() -> Row {
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
    }
}

pub fn alerts_row(alerts: &[Alert]) -> Row {
    let alert_names: Vec<&str> = alerts.iter().map(|alert| alert.name).collect();
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
    }
}
