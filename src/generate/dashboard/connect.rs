//! Kafka Connect's row: failed connectors and tasks, and every connector's and task's state
//! over time.

use super::model::{Panel, Query, Row, Visualization};
use crate::catalog::{self, State};
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;
use crate::generate::recording::once_per_upstream;

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

pub fn row() -> Row {
    let connector_state = |state: State| {
        Selector::of(&catalog::CONNECTOR_STATE).var("cluster").var("connector").eq("state", state.label())
    };
    let task_state = |state: State| {
        Selector::of(&catalog::CONNECTOR_TASK_STATE).var("cluster").var("connector").eq("state", state.label())
    };
    // Each cluster's count once, however many exporters (an HA pair) report it.
    let failed_count = |metric: &'static catalog::Metric| {
        let counts = Selector::of(metric).var("cluster").eq("state", "failed");
        format!("sum({}) or vector(0)", once_per_upstream(metric, counts.to_string()))
    };
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
    }
}
