//! The alert rules, typed: each one is built from catalog constants and carries its own
//! example (series that make it fire and series that must not), from which the promtool test
//! cases are generated.
//!
//! Adding an alert for a new catalog metric is one more `Alert { .. }` in a group below.

use std::time::Duration;

use super::dashboard::PanelId;
use super::promql::{PROMETHEUS_UP, Selector, duration};
use super::runbook::Anchor;
use super::settings::Settings;
use crate::catalog;
use crate::sources::connect::State;

/// Where an alert is routed (alerts/alertmanager.yml has one route per severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Text in the runbook's language and in English. Annotation texts may print
/// `{{ $labels.x }}` for any label the alert's example carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

impl Text {
    pub fn new(ko: impl Into<String>, en: impl Into<String>) -> Self {
        Text { ko: ko.into(), en: en.into() }
    }
}

/// One input series of a promtool test: a selector naming every label, and its values in
/// promtool's expanding notation (`1x30`).
#[derive(Debug, Clone)]
pub struct Series {
    pub selector: Selector,
    pub values: String,
}

/// Another expression that must hold while the alert fires, with the sample it returns.
#[derive(Debug, Clone)]
pub struct Implied {
    pub expr: String,
    pub sample: Selector,
    pub value: f64,
}

/// What the alert looks like on real data.
#[derive(Debug, Clone)]
pub struct Example {
    /// Series as Prometheus holds them while the alert should fire; constant from time 0.
    pub firing: Vec<Series>,
    /// The labels the alert then carries besides `alertname` and `severity`: the labels its
    /// expression keeps. Annotations can print these and inhibition can match on them.
    pub labels: Vec<(&'static str, String)>,
    /// The same pipeline one step on the healthy side of the threshold: must not fire.
    pub healthy: Vec<Series>,
    /// Expressions that must also be true while it fires.
    pub implies: Vec<Implied>,
}

impl Example {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(label, _)| *label == name).map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub name: &'static str,
    pub expr: String,
    pub for_: Duration,
    pub severity: Severity,
    pub summary: Text,
    pub description: Text,
    /// The runbook section for this alert: what it means and which steps to take.
    pub runbook: Text,
    /// Steps of the seed runbook that resolve it.
    pub steps: &'static [Anchor],
    /// The dashboard panel that shows it.
    pub panel: PanelId,
    /// A FAILED connector mutes this alert for the same cluster and connector
    /// (alerts/alertmanager.yml): the failure is the cause, this is a symptom.
    pub muted_by_failed_connector: bool,
    pub example: Example,
}

impl Alert {
    /// The anchor of its section in docs/runbook.md.
    pub fn anchor(&self) -> String {
        format!("alert-{}", self.name.to_lowercase())
    }
}

pub struct Group {
    pub name: &'static str,
    pub alerts: Vec<Alert>,
}

/// The alert that mutes a pipeline's other alerts (the source of the inhibition rule).
pub const CONNECTOR_FAILED: &str = "DebeziumConnectorFailed";

/// Every rule group, in file order.
pub fn groups(settings: &Settings) -> Vec<Group> {
    vec![
        Group { name: "debezium-exporter.connect", alerts: connect(settings) },
        Group { name: "debezium-exporter.self", alerts: exporter(settings) },
    ]
}

/// Every alert, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    groups(settings).into_iter().flat_map(|group| group.alerts).collect()
}

/// How long every example series lasts, in one-minute samples; `for` durations must be shorter.
pub const SERIES_MINUTES: u32 = 240;

const CLUSTER: &str = "connect-prod";
const CONNECTOR: &str = "outbox-connector";
const EXPORTER_INSTANCE: &str = "debezium-exporter:9543";

/// A series as the exporter's scrape job stores it.
fn scraped(selector: Selector, settings: &Settings) -> Selector {
    selector.eq("job", settings.exporter_job.clone()).eq("instance", EXPORTER_INSTANCE)
}

fn constant(selector: Selector, value: u32) -> Series {
    Series { selector, values: format!("{value}x{SERIES_MINUTES}") }
}

/// What the exporter emits for one connector in `state`: one series per state, 1 for its own.
fn connector_in(state: State, settings: &Settings) -> Vec<Series> {
    State::ALL
        .into_iter()
        .map(|each| {
            let selector = Selector::of(&catalog::CONNECTOR_STATE)
                .eq("cluster", CLUSTER)
                .eq("connector", CONNECTOR)
                .eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

/// The worker-level counts for a cluster whose only connector is in `state`.
fn worker_with_one_connector_in(state: State, settings: &Settings) -> Vec<Series> {
    State::ALL
        .into_iter()
        .map(|each| {
            let selector =
                Selector::of(&catalog::WORKER_CONNECTOR_COUNT).eq("cluster", CLUSTER).eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

fn task_in(task: &'static str, state: State, settings: &Settings) -> Vec<Series> {
    State::ALL
        .into_iter()
        .map(|each| {
            let selector = Selector::of(&catalog::CONNECTOR_TASK_STATE)
                .eq("cluster", CLUSTER)
                .eq("connector", CONNECTOR)
                .eq("task", task)
                .eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

/// The labels of a series the exporter's scrape job stores, as an alert keeps them.
fn scraped_labels(settings: &Settings, labels: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut all: Vec<(&'static str, String)> =
        labels.iter().map(|(label, value)| (*label, (*value).to_owned())).collect();
    all.push(("job", settings.exporter_job.clone()));
    all.push(("instance", EXPORTER_INSTANCE.to_owned()));
    all
}

/// `1분`, `10분`, `1시간 30분`.
fn duration_ko(value: Duration) -> String {
    duration(value)
        .replace('d', "일 ")
        .replace('h', "시간 ")
        .replace('m', "분 ")
        .replace('s', "초 ")
        .trim_end()
        .to_owned()
}

/// `1 minute`, `10 minutes`.
fn duration_en(value: Duration) -> String {
    humantime::format_duration(value).to_string().replace("min", " minutes").replace("1 minutes", "1 minute")
}

fn connect(settings: &Settings) -> Vec<Alert> {
    let failed_for = settings.connector_failed_for;
    let not_running = [State::Paused, State::Unassigned, State::Restarting];
    let not_running_regex = not_running.map(State::label).join("|");
    vec![
        Alert {
            name: CONNECTOR_FAILED,
            expr: format!("{} == 1", Selector::of(&catalog::CONNECTOR_STATE).eq("state", State::Failed.label())),
            for_: failed_for,
            severity: Severity::Critical,
            summary: Text::new(
                "Debezium 커넥터 장애 발생 ({{ $labels.connector }})",
                "Debezium connector failed ({{ $labels.connector }})",
            ),
            description: Text::new(
                format!(
                    "커넥터가 {} 이상 FAILED 상태입니다. 즉시 확인이 필요합니다. (Kafka Connect 클러스터: {{{{ $labels.cluster }}}})",
                    duration_ko(failed_for)
                ),
                format!(
                    "The connector has been FAILED for more than {}. Check it now. (Kafka Connect cluster: {{{{ $labels.cluster }}}})",
                    duration_en(failed_for)
                ),
            ),
            runbook: Text::new(
                "Kafka Connect가 커넥터를 FAILED로 보고합니다. Outbox 이벤트가 Kafka로 발행되지 않습니다. 시나리오 1의 절차를 순서대로 따르세요. 이 알림이 울리는 동안 같은 커넥터의 다른 알림은 Alertmanager에서 억제됩니다.",
                "Kafka Connect reports the connector FAILED. Outbox events are not published to Kafka. Follow scenario 1 in order. While this alert fires, Alertmanager mutes the other alerts of the same connector.",
            ),
            steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S1Reset],
            panel: PanelId::CONNECTOR_STATES,
            muted_by_failed_connector: false,
            example: Example {
                firing: [connector_in(State::Failed, settings), worker_with_one_connector_in(State::Failed, settings)]
                    .concat(),
                labels: scraped_labels(
                    settings,
                    &[("cluster", CLUSTER), ("connector", CONNECTOR), ("state", State::Failed.label())],
                ),
                healthy: [
                    connector_in(State::Running, settings),
                    worker_with_one_connector_in(State::Running, settings),
                ]
                .concat(),
                // The runbook's own rule must agree with ours whenever ours fires.
                implies: vec![Implied {
                    expr: format!(
                        "{} > 0",
                        Selector::of(&catalog::WORKER_CONNECTOR_COUNT).eq("state", State::Failed.label())
                    ),
                    sample: scraped(
                        Selector::of(&catalog::WORKER_CONNECTOR_COUNT)
                            .eq("cluster", CLUSTER)
                            .eq("state", State::Failed.label()),
                        settings,
                    ),
                    value: 1.0,
                }],
            },
        },
        Alert {
            name: "DebeziumTaskFailed",
            expr: format!(
                "{} == 1 and on (cluster, connector) {} == 1",
                Selector::of(&catalog::CONNECTOR_TASK_STATE).eq("state", State::Failed.label()),
                Selector::of(&catalog::CONNECTOR_STATE).eq("state", State::Running.label()),
            ),
            for_: settings.task_failed_for,
            severity: Severity::Critical,
            summary: Text::new(
                "Debezium 태스크 장애 ({{ $labels.connector }} 태스크 {{ $labels.task }})",
                "Debezium task failed ({{ $labels.connector }} task {{ $labels.task }})",
            ),
            description: Text::new(
                format!(
                    "커넥터는 RUNNING이지만 태스크 {{{{ $labels.task }}}}가 {} 이상 FAILED 상태입니다. 이벤트가 발행되지 않습니다. (Kafka Connect 클러스터: {{{{ $labels.cluster }}}})",
                    duration_ko(settings.task_failed_for)
                ),
                format!(
                    "The connector is RUNNING but its task {{{{ $labels.task }}}} has been FAILED for more than {}. No events are published. (Kafka Connect cluster: {{{{ $labels.cluster }}}})",
                    duration_en(settings.task_failed_for)
                ),
            ),
            runbook: Text::new(
                "Debezium 장애는 보통 이렇게 나타납니다: 커넥터는 RUNNING인데 태스크가 FAILED입니다. 태스크의 trace(`GET /connectors/<이름>/status`)에서 원인을 찾은 뒤 `POST /connectors/<이름>/restart?includeTasks=true&onlyFailed=true`로 실패한 태스크만 재시작하세요.",
                "This is how a Debezium failure usually shows: the connector is RUNNING but its task is FAILED. Find the cause in the task's trace (`GET /connectors/<name>/status`), then restart only the failed tasks with `POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`.",
            ),
            steps: &[Anchor::S1Logs, Anchor::S1Restart],
            panel: PanelId::TASK_STATES,
            muted_by_failed_connector: true,
            example: Example {
                firing: [connector_in(State::Running, settings), task_in("0", State::Failed, settings)].concat(),
                labels: scraped_labels(
                    settings,
                    &[("cluster", CLUSTER), ("connector", CONNECTOR), ("task", "0"), ("state", State::Failed.label())],
                ),
                healthy: [connector_in(State::Running, settings), task_in("0", State::Running, settings)].concat(),
                implies: Vec::new(),
            },
        },
        Alert {
            name: "DebeziumConnectorNotRunning",
            expr: format!("{} == 1", Selector::of(&catalog::CONNECTOR_STATE).re("state", not_running_regex)),
            for_: settings.connector_not_running_for,
            severity: Severity::Warning,
            summary: Text::new(
                "Debezium 커넥터가 실행 중이 아님 ({{ $labels.connector }}: {{ $labels.state }})",
                "Debezium connector not running ({{ $labels.connector }}: {{ $labels.state }})",
            ),
            description: Text::new(
                format!(
                    "커넥터가 {} 이상 {{{{ $labels.state }}}} 상태입니다. 그동안 변경 이벤트가 발행되지 않고 복제 슬롯에 WAL이 쌓입니다. (Kafka Connect 클러스터: {{{{ $labels.cluster }}}})",
                    duration_ko(settings.connector_not_running_for)
                ),
                format!(
                    "The connector has been {{{{ $labels.state }}}} for more than {}. Meanwhile no change events are published and WAL accumulates in the replication slot. (Kafka Connect cluster: {{{{ $labels.cluster }}}})",
                    duration_en(settings.connector_not_running_for)
                ),
            ),
            runbook: Text::new(
                "PAUSED는 누군가 일시정지한 것입니다: 의도한 것인지 확인하고 `PUT /connectors/<이름>/resume`으로 재개하세요. UNASSIGNED나 RESTARTING이 계속되면 워커가 커넥터를 맡지 못하는 것입니다: 워커 로그와 리소스를 확인하세요. STOPPED는 의도된 정지로 보고 알리지 않습니다.",
                "PAUSED means someone paused it: check that this was intended and resume it with `PUT /connectors/<name>/resume`. UNASSIGNED or RESTARTING for long means no worker manages to run it: check the workers' logs and resources. STOPPED is taken as a deliberate stop and is not alerted.",
            ),
            steps: &[Anchor::S1Logs, Anchor::S1Restart],
            panel: PanelId::CONNECTOR_STATES,
            muted_by_failed_connector: true,
            example: Example {
                firing: connector_in(State::Paused, settings),
                labels: scraped_labels(
                    settings,
                    &[("cluster", CLUSTER), ("connector", CONNECTOR), ("state", State::Paused.label())],
                ),
                healthy: connector_in(State::Stopped, settings),
                implies: Vec::new(),
            },
        },
    ]
}

fn exporter(settings: &Settings) -> Vec<Alert> {
    let source_up = |value| {
        let selector = Selector::of(&catalog::SOURCE_UP).eq("source", "connect").eq("target", CLUSTER);
        vec![constant(scraped(selector, settings), value)]
    };
    let prometheus_up = |value| {
        let selector =
            Selector::of(&PROMETHEUS_UP).eq("job", settings.exporter_job.clone()).eq("instance", EXPORTER_INSTANCE);
        vec![constant(selector, value)]
    };
    vec![
        Alert {
            name: "DebeziumExporterSourceDown",
            expr: format!("{} == 0", Selector::of(&catalog::SOURCE_UP)),
            for_: settings.source_down_for,
            severity: Severity::Warning,
            summary: Text::new(
                "debezium-exporter가 {{ $labels.source }} 소스를 읽지 못함 ({{ $labels.target }})",
                "debezium-exporter cannot read its {{ $labels.source }} source ({{ $labels.target }})",
            ),
            description: Text::new(
                format!(
                    "{} 이상 {{{{ $labels.target }}}} 수집이 실패하고 있습니다. 이 소스의 메트릭이 없으므로 그에 기반한 알림도 울리지 않습니다.",
                    duration_ko(settings.source_down_for)
                ),
                format!(
                    "Polls of {{{{ $labels.target }}}} have been failing for more than {}. Its metrics are missing, so the alerts built on them cannot fire.",
                    duration_en(settings.source_down_for)
                ),
            ),
            runbook: Text::new(
                "exporter의 첫 페이지(`/`)에 소스별 마지막 오류가 나옵니다. `debezium_exporter_poll_errors_total`의 `reason` 라벨(timeout, connect, http_status, decode, too_large, query)이 원인의 종류를 알려줍니다. 대상 서버가 살아 있는지, 주소와 인증 정보가 맞는지 확인하세요.",
                "The exporter's landing page (`/`) shows each source's last error. The `reason` label of `debezium_exporter_poll_errors_total` (timeout, connect, http_status, decode, too_large, query) says what kind of failure it is. Check that the upstream is up and that the address and credentials are right.",
            ),
            steps: &[],
            panel: PanelId::SOURCE_HEALTH,
            muted_by_failed_connector: false,
            example: Example {
                firing: source_up(0),
                labels: scraped_labels(settings, &[("source", "connect"), ("target", CLUSTER)]),
                healthy: source_up(1),
                implies: Vec::new(),
            },
        },
        Alert {
            name: "DebeziumExporterAbsent",
            expr: format!("absent({} == 1)", Selector::of(&PROMETHEUS_UP).eq("job", settings.exporter_job.clone())),
            for_: settings.exporter_absent_for,
            severity: Severity::Critical,
            summary: Text::new(
                format!("Prometheus가 debezium-exporter를 수집하지 못함 (job {})", settings.exporter_job),
                format!("Prometheus cannot scrape debezium-exporter (job {})", settings.exporter_job),
            ),
            description: Text::new(
                format!(
                    "{} 이상 성공한 수집이 없습니다. 이 상태에서는 CDC 파이프라인의 어떤 알림도 울리지 않으므로, 조용하다고 정상인 것이 아닙니다.",
                    duration_ko(settings.exporter_absent_for)
                ),
                format!(
                    "No scrape has succeeded for more than {}. No alert about the CDC pipeline can fire meanwhile: silence does not mean health.",
                    duration_en(settings.exporter_absent_for)
                ),
            ),
            runbook: Text::new(
                "exporter 프로세스(또는 파드)가 떠 있는지, Prometheus의 Targets 화면에서 이 job의 대상이 보이는지, 스크레이프 오류가 무엇인지 확인하세요.",
                "Check that the exporter process (or pod) is running, that Prometheus's Targets page lists this job's target, and what the scrape error is.",
            ),
            steps: &[],
            panel: PanelId::SOURCE_HEALTH,
            muted_by_failed_connector: false,
            example: Example {
                firing: prometheus_up(0),
                labels: Vec::new(),
                healthy: prometheus_up(1),
                implies: Vec::new(),
            },
        },
    ]
}
