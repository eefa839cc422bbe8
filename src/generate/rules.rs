//! The alert rules, typed: each one is built from catalog constants and carries its own
//! example (series that make it fire and series that must not), from which the promtool test
//! cases are generated.
//!
//! Adding an alert for a new catalog metric is one more `Alert { .. }` in a group below.

use std::time::Duration;

use super::Lang;
use super::dashboard::PanelId;
use super::promql::{PROMETHEUS_UP, Selector, duration};
use super::recording;
use crate::catalog;
use crate::catalog::{Anchor, Severity, State, WAL_STATUSES};
use crate::config::generate::Settings;

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

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.ko,
            Lang::En => &self.en,
        }
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
    /// Series as Prometheus holds them while the alert should fire, from time 0.
    pub firing: Vec<Series>,
    /// When the condition first holds on `firing`: zero for instant conditions, one step for
    /// functions such as `deriv()` or `predict_linear()` that need two samples. The alert must
    /// fire `for` after that, and still be pending one step before.
    pub holds_from: Duration,
    /// The labels the alert then carries besides `alertname` and `severity`: the labels its
    /// expression keeps. Annotations can print these and inhibition can match on them.
    pub labels: Vec<(&'static str, String)>,
    /// The same pipeline one step on the healthy side of the threshold: must not fire.
    pub healthy: Vec<Series>,
    /// Expressions that must also be true while it fires.
    pub implies: Vec<Implied>,
    /// Other situations worth proving: another way the condition holds, or a guard.
    pub variants: Vec<Variant>,
}

/// One more situation of an alert, tested like its example.
#[derive(Debug, Clone)]
pub struct Variant {
    /// What it shows; becomes part of the promtool test case's name.
    pub what: &'static str,
    pub series: Vec<Series>,
    /// `Some(holds_from)` if it must fire (`for` after `holds_from`), `None` if it must not.
    pub fires: Option<Duration>,
    /// The alert's labels when they differ from the example's (a branch of the expression that
    /// keeps fewer labels); annotations then print a missing label as Prometheus does: empty.
    pub labels: Option<Vec<(&'static str, String)>>,
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
    /// A FAILED connector, or a FAILED task under it, mutes this alert for the same cluster and
    /// connector (alerts/alertmanager.yml): the failure is the cause, this is a symptom.
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
/// A FAILED task under a RUNNING connector, the usual shape of a Debezium failure: it mutes
/// its pipeline's symptoms too.
pub const TASK_FAILED: &str = "DebeziumTaskFailed";
/// The alerts whose firing mutes the `muted_by_failed_connector` alerts of the same pipeline.
pub const PIPELINE_FAILURES: [&str; 2] = [CONNECTOR_FAILED, TASK_FAILED];

/// Every rule group, in file order.
pub fn groups(settings: &Settings) -> Vec<Group> {
    vec![
        Group { name: "debezium-exporter.connect", alerts: connect(settings) },
        Group { name: "debezium-exporter.debezium", alerts: debezium(settings) },
        Group { name: "debezium-exporter.postgres", alerts: postgres(settings) },
        Group { name: "debezium-exporter.kafka", alerts: kafka(settings) },
        Group { name: "debezium-exporter.self", alerts: exporter(settings) },
    ]
}

/// Every alert, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    groups(settings).into_iter().flat_map(|group| group.alerts).collect()
}

/// How long every example series lasts, in one-minute samples; `for` durations must be shorter.
pub const SERIES_MINUTES: u32 = 240;

/// When the healthy series are checked: five steps after the alert would have fired.
pub fn healthy_checked_at(holds_from: Duration, for_: Duration) -> Duration {
    holds_from + for_ + Duration::from_secs(5 * 60)
}

pub(super) const CLUSTER: &str = "connect-prod";
pub(super) const CONNECTOR: &str = "outbox-connector";
const EXPORTER_INSTANCE: &str = "debezium-exporter:9543";
pub(super) const DATABASE: &str = "inventory";
const SLOT: &str = "debezium";
const OUTBOX_TABLE: &str = "public.outbox";

/// A series as the exporter's scrape job stores it.
pub(super) fn scraped(selector: Selector, settings: &Settings) -> Selector {
    selector.eq("job", settings.exporter_job.clone()).eq("instance", EXPORTER_INSTANCE)
}

pub(super) fn constant(selector: Selector, value: u32) -> Series {
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
                holds_from: Duration::ZERO,
                variants: Vec::new(),
            },
        },
        Alert {
            name: TASK_FAILED,
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
                "Debezium 장애는 보통 이렇게 나타납니다: 커넥터는 RUNNING인데 태스크가 FAILED입니다. 태스크의 trace(`GET /connectors/<이름>/status`)에서 원인을 찾은 뒤 `POST /connectors/<이름>/restart?includeTasks=true&onlyFailed=true`로 실패한 태스크만 재시작하세요. 이 알림이 울리는 동안 같은 커넥터의 증상 알림(스트리밍 멈춤, 지연, 슬롯 알림)은 Alertmanager에서 억제됩니다.",
                "This is how a Debezium failure usually shows: the connector is RUNNING but its task is FAILED. Find the cause in the task's trace (`GET /connectors/<name>/status`), then restart only the failed tasks with `POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`. While this alert fires, Alertmanager mutes the symptoms of the same connector (not streaming, lag, slot alerts).",
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
                holds_from: Duration::ZERO,
                variants: Vec::new(),
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
                holds_from: Duration::ZERO,
                variants: Vec::new(),
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
                holds_from: Duration::ZERO,
                variants: Vec::new(),
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
                holds_from: Duration::ZERO,
                variants: Vec::new(),
            },
        },
    ]
}

/// The `server` label of the example connector's Debezium MBeans: its `topic.prefix`.
pub(super) const SERVER: &str = "outbox";
const KAFKA_CLUSTER: &str = "kafka-prod";

/// The same value at every step.
pub(super) fn flat(value: impl std::fmt::Display) -> String {
    format!("{value}x{SERIES_MINUTES}")
}

/// A Debezium MBean series of the example connector, as the exporter emits it.
fn bean(metric: &'static catalog::Metric, values: String, settings: &Settings) -> Series {
    let selector = Selector::of(metric).eq("cluster", CLUSTER).eq("connector", CONNECTOR).eq("server", SERVER);
    Series { selector: scraped(selector, settings), values }
}

fn bean_labels(settings: &Settings) -> Vec<(&'static str, String)> {
    scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR), ("server", SERVER)])
}

/// `10`, `12.5`: a share as a percentage people read.
fn percent(ratio: f64) -> String {
    format!("{}", (ratio * 10_000.0).round() / 100.0)
}

fn debezium(settings: &Settings) -> Vec<Alert> {
    let step = Duration::from_secs(60);
    let streaming = |value| {
        let selector = Selector::of(&catalog::CONNECTOR_STREAMING).eq("cluster", CLUSTER).eq("connector", CONNECTOR);
        constant(scraped(selector, settings), value)
    };
    let series = |metric, values| bean(metric, values, settings);
    let snapshot_running = |value: u32| series(&catalog::SNAPSHOT_RUNNING, flat(value));
    let rows_scanned = |values| {
        let selector = Selector::of(&catalog::ROWS_SCANNED)
            .eq("cluster", CLUSTER)
            .eq("connector", CONNECTOR)
            .eq("server", SERVER)
            .eq("table", "public.new_module_table");
        Series { selector: scraped(selector, settings), values }
    };
    let failed_records = |values: &str| {
        let selector = Selector::of(&catalog::NUMBER_OF_FAILED_RECORDS)
            .eq("cluster", CLUSTER)
            .eq("connector", CONNECTOR)
            .eq("task", "0");
        Series { selector: scraped(selector, settings), values: values.to_owned() }
    };
    // One connector's MBeans: the streaming and snapshot beans of one `server`.
    let same_bean = "on (job, instance, cluster, connector, server)";
    let lag = Selector::of(&catalog::MILLI_SECONDS_BEHIND_SOURCE);
    let lag_ms = settings.streaming_lag_threshold.as_millis();
    let floor_ms = settings.streaming_lag_growing_floor.as_millis();
    let growing_quiet_until = healthy_checked_at(step, settings.streaming_lag_growing_for);
    // Debezium's default max.queue.size, and the fewest free slots that are not below the ratio.
    let queue_size: u32 = 8192;
    let queue_at_ratio = (settings.queue_remaining_ratio * f64::from(queue_size)).ceil() as u32;
    let where_ko = "(Kafka Connect 클러스터: {{ $labels.cluster }})";
    let where_en = "(Kafka Connect cluster: {{ $labels.cluster }})";
    let muted_ko = "커넥터나 그 태스크가 FAILED인 동안 이 알림은 억제됩니다.";
    let muted_en = "While the connector or one of its tasks is FAILED this alert is muted.";
    vec![
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
                    "Kafka Connect는 커넥터를 RUNNING으로 보고하지만, {} 이상 Debezium의 스트리밍 MBean이 없거나 DB에 연결되어 있지 않습니다. 변경 이벤트가 발행되지 않고 복제 슬롯에 WAL이 쌓입니다. {where_ko}",
                    duration_ko(settings.connector_stuck_for)
                ),
                format!(
                    "Kafka Connect reports the connector RUNNING, but for more than {} Debezium's streaming MBean has been missing or not connected to the database. No change events are published and WAL accumulates in the replication slot. {where_en}",
                    duration_en(settings.connector_stuck_for)
                ),
            ),
            runbook: Text::new(
                format!(
                    "Connect의 상태만 보면 정상처럼 보이는 장애입니다. PostgreSQL이 멈추면 태스크는 RUNNING인 채 재시도를 기다리고(기본 10초, 재시도마저 접속하지 못하면 태스크가 FAILED가 되어 DebeziumTaskFailed가 이어받습니다), 발행(publication)을 지웠다 다시 만들면 디코딩 오류를 끝없이 반복합니다. `snapshot.mode=initial_only`인 커넥터는 스냅샷 뒤 일부러 스트리밍하지 않습니다(시나리오 2, 4단계). 커넥터 로그(1단계)에서 무엇을 재시도하는지 찾아 해결한 뒤 재시작하세요(2단계). 스냅샷이 도는 동안에는 스트리밍 전이므로 알리지 않습니다. 모든 JMX 브리지(Jolokia, jmx_exporter)가 응답할 때만 판단하므로, 브리지가 응답하지 않으면 DebeziumExporterSourceDown을 보세요. {muted_ko}"
                ),
                format!(
                    "A failure that Connect's state alone hides. When PostgreSQL goes away the task stays RUNNING while it waits to retry (10 s by default; if the retry cannot connect either, the task turns FAILED and DebeziumTaskFailed takes over); after a publication is dropped and re-created it loops on decode errors forever. A connector with `snapshot.mode=initial_only` does not stream after its snapshot, by design (scenario 2, step 4). Find what it retries in the connector's log (step 1), fix that and restart it (step 2). It stays quiet while a snapshot runs (streaming starts after it). It is only judged while every JMX bridge (Jolokia, jmx_exporter) answers; if one does not, see DebeziumExporterSourceDown. {muted_en}"
                ),
            ),
            steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S2Streaming],
            panel: PanelId::STREAMING,
            muted_by_failed_connector: true,
            example: Example {
                firing: [connector_in(State::Running, settings), vec![streaming(0)]].concat(),
                holds_from: Duration::ZERO,
                labels: scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR)]),
                healthy: [connector_in(State::Running, settings), vec![streaming(1)]].concat(),
                implies: Vec::new(),
                variants: vec![
                    Variant {
                        what: "not while a snapshot runs (streaming starts after it)",
                        series: [connector_in(State::Running, settings), vec![streaming(0), snapshot_running(1)]]
                            .concat(),
                        fires: None,
                        labels: None,
                    },
                    Variant {
                        what: "not for a PAUSED connector (DebeziumConnectorNotRunning covers it)",
                        series: [connector_in(State::Paused, settings), vec![streaming(0)]].concat(),
                        fires: None,
                        labels: None,
                    },
                ],
            },
        },
        Alert {
            name: "DebeziumStreamingLagHigh",
            expr: format!(
                "{lag} > {lag_ms} unless {same_bean} {} > {lag_ms}",
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
                    "커넥터 {{{{ $labels.connector }}}}가 처리하는 이벤트가 DB 커밋보다 {} 넘게 늦은 상태가 {} 이상 계속되고 있습니다. 하위 서비스는 그만큼 늦은 데이터를 봅니다. {where_ko}",
                    duration_ko(settings.streaming_lag_threshold),
                    duration_ko(settings.streaming_lag_for)
                ),
                format!(
                    "The events connector {{{{ $labels.connector }}}} processes have been more than {} behind their database commit for more than {}. Downstream services see data that late. {where_en}",
                    duration_en(settings.streaming_lag_threshold),
                    duration_en(settings.streaming_lag_for)
                ),
            ),
            runbook: Text::new(
                format!(
                    "런북이 가장 중요하다고 꼽은 지표입니다. 이벤트 처리량(Events streamed)과 큐 여유(Queue free capacity)를 함께 보세요: 큐가 차 있으면 Kafka 쪽(프로듀서, 브로커)이 느린 것이고, 큐가 비어 있으면 Debezium이 DB에서 읽는 것이 느린 것입니다(대량 변경, 큰 트랜잭션). 이 값은 마지막 이벤트의 지연이라 DB가 조용하면 그 값에 멈춰 있으므로, 마지막 이벤트가 임계값보다 오래되면 알리지 않습니다(정말 멈춘 것이라면 ReplicationSlotLagHigh와 DebeziumConnectorStuck이 알립니다). {muted_ko}"
                ),
                format!(
                    "The runbook calls this the most important metric. Read it with the events throughput (Events streamed) and the queue's free capacity: a full queue means the Kafka side (producer, brokers) is slow; an empty one means Debezium reads the database slowly (bulk changes, large transactions). The value is the lag of the last event and freezes while the database is quiet, so the alert stays quiet once the last event is older than the threshold (if streaming really stopped, ReplicationSlotLagHigh and DebeziumConnectorStuck tell). {muted_en}"
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
        },
        Alert {
            name: "DebeziumStreamingLagGrowing",
            expr: format!(
                "deriv({lag}[{}]) > 0 and {lag} > {floor_ms}",
                duration(settings.streaming_lag_growth_window)
            ),
            for_: settings.streaming_lag_growing_for,
            severity: Severity::Warning,
            summary: Text::new(
                "Debezium 스트리밍 지연이 계속 늘어남 ({{ $labels.connector }})",
                "Debezium streaming lag keeps growing ({{ $labels.connector }})",
            ),
            description: Text::new(
                format!(
                    "커넥터 {{{{ $labels.connector }}}}의 스트리밍 지연이 {} 이상 계속 늘고 있고 {}보다 큽니다. 런북: \"이 값이 계속 증가하면 심각한 문제입니다.\" {where_ko}",
                    duration_ko(settings.streaming_lag_growing_for),
                    duration_ko(settings.streaming_lag_growing_floor)
                ),
                format!(
                    "The streaming lag of connector {{{{ $labels.connector }}}} has kept growing for more than {} and is above {}. The runbook: \"if it keeps increasing, the problem is serious.\" {where_en}",
                    duration_en(settings.streaming_lag_growing_for),
                    duration_en(settings.streaming_lag_growing_floor)
                ),
            ),
            runbook: Text::new(
                format!(
                    "Debezium이 DB의 변경 속도를 따라가지 못하고 있어, 그대로 두면 DebeziumStreamingLagHigh와 복제 슬롯 지연으로 이어집니다. 지연이 임계값에 닿기 전에 원인을 찾으세요: 큐 여유가 없으면 Kafka 쪽이, 큐가 비어 있으면 DB 읽기가 병목입니다. 추세는 `streaming_lag_growth_window` 동안의 기울기(deriv)로 보고, `streaming_lag_growing_floor` 아래의 작은 지연이 흔들리는 것은 무시합니다. DB가 조용해 값이 멈추면 기울기가 0이라 알리지 않습니다. {muted_ko}"
                ),
                format!(
                    "Debezium is not keeping up with the database's rate of change; left alone this becomes DebeziumStreamingLagHigh and replication slot lag. Find the cause before the lag reaches the threshold: no free queue means the Kafka side is the bottleneck, an empty queue means reading the database is. The trend is the slope (deriv) over `streaming_lag_growth_window`; small lags below `streaming_lag_growing_floor` jitter and are ignored. When the database is quiet the value freezes, its slope is 0, and nothing fires. {muted_en}"
                ),
            ),
            steps: &[Anchor::Monitoring, Anchor::S1Logs],
            panel: PanelId::STREAMING_LAG,
            muted_by_failed_connector: true,
            example: Example {
                firing: vec![series(&catalog::MILLI_SECONDS_BEHIND_SOURCE, linear((floor_ms + 1) as f64, 1000.0))],
                holds_from: step,
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
        },
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
                    "커넥터 {{{{ $labels.connector }}}}의 태스크 {{{{ $labels.task }}}}에서 최근 {} 안에 변환, 가공 또는 Kafka 전송에 실패한 레코드가 새로 생겼습니다. errors.tolerance=all이면 태스크는 RUNNING인 채 그 레코드를 건너뛰므로 이벤트가 유실될 수 있습니다. {where_ko}",
                    duration_ko(settings.failed_records_window)
                ),
                format!(
                    "Task {{{{ $labels.task }}}} of connector {{{{ $labels.connector }}}} has had new records fail in conversion, transformation or produce within the last {}. With errors.tolerance=all the task stays RUNNING and skips them, so events may be lost. {where_en}",
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
                firing: vec![failed_records(&format!("0 1+1x{}", SERIES_MINUTES - 1))],
                holds_from: step,
                labels: scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR), ("task", "0")]),
                // Failures long ago, none since.
                healthy: vec![failed_records(&flat(5))],
                implies: Vec::new(),
                variants: vec![
                    Variant {
                        what: "a task restart resetting the count to 0",
                        series: vec![failed_records(&format!("5x2 0x{}", SERIES_MINUTES - 3))],
                        fires: None,
                        labels: None,
                    },
                    Variant {
                        what: "new failures right after a restart, where delta would be negative",
                        series: vec![failed_records(&format!("5x2 0 1x{}", SERIES_MINUTES - 4))],
                        fires: Some(4 * step),
                        labels: None,
                    },
                ],
            },
        },
        Alert {
            name: "DebeziumSourceDisconnected",
            expr: format!(
                "{} == 0 unless {same_bean} {} == 1",
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
                    "커넥터 {{{{ $labels.connector }}}}(서버 {{{{ $labels.server }}}})의 스트리밍 연결이 스냅샷 중도 아닌데 {} 이상 끊겨 있습니다. 그동안 변경을 읽지 못합니다. {where_ko}",
                    duration_ko(settings.source_disconnected_for)
                ),
                format!(
                    "The streaming connection of connector {{{{ $labels.connector }}}} (server {{{{ $labels.server }}}}) has been down for more than {} outside a snapshot. No changes are read meanwhile. {where_en}",
                    duration_en(settings.source_disconnected_for)
                ),
            ),
            runbook: Text::new(
                format!(
                    "DB가 살아 있는지, 접속 정보와 `REPLICATION` 권한, `max_wal_senders`가 충분한지, 복제 슬롯을 다른 프로세스가 쓰고 있지 않은지 확인하세요. Debezium은 재시도하는 동안 MBean을 내리기도 하므로, 이 알림 없이 DebeziumConnectorStuck만 울릴 수도 있습니다. {muted_ko}"
                ),
                format!(
                    "Check that the database is up, the credentials, the `REPLICATION` privilege, that `max_wal_senders` suffices and that no other process holds the replication slot. Debezium may unregister its MBeans while it retries, so DebeziumConnectorStuck can fire without this one. {muted_en}"
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
                    series: vec![series(&catalog::CONNECTED, flat(0)), snapshot_running(1)],
                    fires: None,
                    labels: None,
                }],
            },
        },
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
                    "커넥터 {{{{ $labels.connector }}}}의 Debezium 큐(스트리머와 Kafka Connect 사이)의 여유가 {} 이상 {}% 미만입니다. Kafka Connect가 이벤트를 Kafka로 보내는 속도가 Debezium이 읽는 속도를 따라가지 못합니다. {where_ko}",
                    duration_ko(settings.queue_nearly_full_for),
                    percent(settings.queue_remaining_ratio)
                ),
                format!(
                    "Less than {}% of connector {{{{ $labels.connector }}}}'s Debezium queue (between the streamer and Kafka Connect) has been free for more than {}. Kafka Connect does not send events to Kafka as fast as Debezium reads them. {where_en}",
                    percent(settings.queue_remaining_ratio),
                    duration_en(settings.queue_nearly_full_for)
                ),
            ),
            runbook: Text::new(
                format!(
                    "큐가 가득 차면 Debezium은 DB 읽기를 멈추고 지연이 커집니다. Kafka 브로커 상태, Connect 프로듀서 설정(`producer.override.*`, `batch.size`, `linger.ms`), 워커의 CPU와 GC를 확인하세요. 대량 변경 동안 잠시 차는 것은 정상일 수 있습니다; `max.queue.size`와 `max.batch.size`를 늘리는 것도 방법입니다. {muted_ko}"
                ),
                format!(
                    "With a full queue Debezium stops reading the database and the lag grows. Check the Kafka brokers, the Connect producer settings (`producer.override.*`, `batch.size`, `linger.ms`) and the worker's CPU and GC. Filling up briefly during bulk changes can be normal; raising `max.queue.size` and `max.batch.size` is another way out. {muted_en}"
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
        },
        Alert {
            name: "DebeziumSnapshotStalled",
            expr: format!(
                "{} == 1 unless {same_bean} changes({}[{}]) > 0",
                Selector::of(&catalog::SNAPSHOT_RUNNING),
                Selector::of(&catalog::ROWS_SCANNED),
                duration(settings.snapshot_stall_window)
            ),
            for_: settings.snapshot_stalled_for,
            severity: Severity::Warning,
            summary: Text::new(
                "Debezium 스냅샷이 진행되지 않음 ({{ $labels.connector }})",
                "Debezium snapshot makes no progress ({{ $labels.connector }})",
            ),
            description: Text::new(
                format!(
                    "커넥터 {{{{ $labels.connector }}}}의 스냅샷이 실행 중인데, 어떤 테이블에서도 최근 {} 동안 읽은 행 수가 늘지 않은 상태가 {} 이상 계속되고 있습니다. {where_ko}",
                    duration_ko(settings.snapshot_stall_window),
                    duration_ko(settings.snapshot_stalled_for)
                ),
                format!(
                    "The snapshot of connector {{{{ $labels.connector }}}} is running, but no table's rows scanned has grown within {} for more than {}. {where_en}",
                    duration_en(settings.snapshot_stall_window),
                    duration_en(settings.snapshot_stalled_for)
                ),
            ),
            runbook: Text::new(
                "Debezium은 테이블을 읽는 동안 10초마다 진행 상황을 보고하므로, 멈춰 있다면 테이블 잠금 대기(다른 트랜잭션의 잠금, `snapshot.locking.mode`), 느린 쿼리, DB 연결 문제를 의심하세요: `pg_stat_activity`에서 커넥터의 쿼리와 대기 이벤트를 확인하세요. 시나리오 2처럼 새 모듈을 위한 스냅샷이라면 Kafka로의 발행이 막혀 있지 않은지(큐 여유)도 보세요.",
                "Debezium reports progress every 10 s while it reads a table, so a stall points at waiting for a table lock (another transaction's, `snapshot.locking.mode`), a slow query or a database connection problem: look at the connector's query and its wait event in `pg_stat_activity`. For a snapshot taken for a new module as in scenario 2, also check that publishing to Kafka is not blocked (queue free capacity).",
            ),
            steps: &[Anchor::S2Register, Anchor::S1Logs],
            panel: PanelId::SNAPSHOT_ROWS,
            muted_by_failed_connector: false,
            example: Example {
                firing: vec![snapshot_running(1), rows_scanned(flat(5000))],
                holds_from: Duration::ZERO,
                labels: bean_labels(settings),
                healthy: vec![snapshot_running(1), rows_scanned(linear(0.0, 1000.0))],
                implies: Vec::new(),
                variants: vec![
                    Variant {
                        what: "before any table has reported rows",
                        series: vec![snapshot_running(1)],
                        fires: Some(Duration::ZERO),
                        labels: None,
                    },
                    Variant {
                        what: "once the snapshot has completed",
                        series: vec![snapshot_running(0), rows_scanned(flat(10_000))],
                        fires: None,
                        labels: None,
                    },
                ],
            },
        },
    ]
}

fn kafka(settings: &Settings) -> Vec<Alert> {
    let step = Duration::from_secs(60);
    let topic_present = |value| {
        let selector = Selector::of(&catalog::CONNECT_INTERNAL_TOPIC_PRESENT)
            .eq("cluster", KAFKA_CLUSTER)
            .eq("topic", "connect-offsets");
        constant(scraped(selector, settings), value)
    };
    const GROUP: &str = "new-module";
    const TOPIC: &str = "outbox.event.order";
    let group_lag = |values: String| {
        let selector = Selector::of(&catalog::CONSUMERGROUP_LAG_SUM)
            .eq("cluster", KAFKA_CLUSTER)
            .eq("group", GROUP)
            .eq("topic", TOPIC);
        vec![Series { selector: scraped(selector, settings), values }]
    };
    let lag = Selector::of(&catalog::CONSUMERGROUP_LAG_SUM);
    let window = duration(settings.consumer_group_lag_window);
    // Lag back to 0 every fourth minute: a consumer that keeps up between commits.
    let sawtooth = format!("{}0", "0+100x3 ".repeat(SERIES_MINUTES as usize / 4));
    vec![
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
        },
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
                holds_from: step,
                labels: scraped_labels(settings, &[("cluster", KAFKA_CLUSTER), ("group", GROUP), ("topic", TOPIC)]),
                healthy: group_lag(linear(10_000.0, -10.0)),
                implies: Vec::new(),
                variants: vec![
                    Variant {
                        what: "a lag that keeps growing",
                        series: group_lag(linear(100.0, 100.0)),
                        fires: Some(step),
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
        },
    ]
}

/// A per-slot condition, given the `cluster` of the connector that reads the slot (joined from
/// `debezium_connector_info` on the exporter's own `connector` label), so that a failed
/// connector can mute it and its dashboard link filters on it. Slots no connector claims
/// (physical, orphaned, or no Connect configured) still alert, with their own labels. `topk`
/// keeps the join one-to-one should two clusters of one exporter both have a connector of that
/// name on a slot of that name: a rule that errors would silence every slot alert.
fn with_cluster(condition: &str) -> String {
    let on = "on (job, instance, connector, slot)";
    let info = Selector::of(&catalog::DEBEZIUM_CONNECTOR_INFO);
    format!(
        "({condition}) * {on} group_left (cluster) topk by (job, instance, connector, slot) (1, {info}) \
         or ({condition}) unless {on} {info}"
    )
}

/// A slot series of the example pipeline as the exporter emits it; `claimed` adds the
/// `connector` label the exporter joins from Connect (Prometheus drops an empty label).
fn slot_selector(metric: &'static catalog::Metric, claimed: bool, settings: &Settings) -> Selector {
    let selector =
        Selector::of(metric).eq("db", DATABASE).eq("slot", SLOT).eq("slot_type", "logical").eq("plugin", "pgoutput");
    scraped(if claimed { selector.eq("connector", CONNECTOR) } else { selector }, settings)
}

/// `debezium_connector_info` of the example connector, which reads the example slot.
fn connector_info(settings: &Settings) -> Series {
    let selector = Selector::of(&catalog::DEBEZIUM_CONNECTOR_INFO)
        .eq("cluster", CLUSTER)
        .eq("connector", CONNECTOR)
        .eq("database", DATABASE)
        .eq("slot", SLOT)
        .eq("topic_prefix", "outbox")
        .eq("plugin", "pgoutput");
    constant(scraped(selector, settings), 1)
}

/// A claimed slot's series plus the connector info it joins with.
fn claimed_slot(metric: &'static catalog::Metric, values: String, settings: &Settings) -> Vec<Series> {
    vec![Series { selector: slot_selector(metric, true, settings), values }, connector_info(settings)]
}

/// The example slot's `wal_status` series, 1 for `current`.
fn wal_status(current: &str, settings: &Settings) -> Vec<Series> {
    WAL_STATUSES
        .into_iter()
        .map(|status| {
            let selector = slot_selector(&catalog::REPLICATION_SLOT_WAL_STATUS, true, settings).eq("status", status);
            constant(selector, u32::from(status == current))
        })
        .chain([connector_info(settings)])
        .collect()
}

/// The labels of an alert on the example slot; `extra` for labels beyond the slot's own.
fn slot_labels(settings: &Settings, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut labels = vec![
        ("db", DATABASE),
        ("slot", SLOT),
        ("slot_type", "logical"),
        ("plugin", "pgoutput"),
        ("connector", CONNECTOR),
        ("cluster", CLUSTER),
    ];
    labels.extend_from_slice(extra);
    scraped_labels(settings, &labels)
}

fn outbox_selector(metric: &'static catalog::Metric, settings: &Settings) -> Selector {
    scraped(Selector::of(metric).eq("db", DATABASE).eq("table", OUTBOX_TABLE), settings)
}

/// Values in promtool's notation: `start`, then `step` added each minute.
pub(super) fn linear(start: f64, step: f64) -> String {
    let sign = if step < 0.0 { '-' } else { '+' };
    format!("{start}{sign}{}x{SERIES_MINUTES}", step.abs())
}

/// `1 GiB`, `512 MiB`: thresholds as people read them.
fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 { format!("{value} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

fn postgres(settings: &Settings) -> Vec<Alert> {
    let step = Duration::from_secs(60);
    let lag_threshold = settings.slot_lag_threshold_bytes;
    let horizon = settings.slot_safe_wal_horizon;
    // safe_wal_size falls by this much a minute in the examples.
    let wal_per_minute = f64::from(1u32 << 20);
    // With wal_status() beside it, which brings the connector info.
    let safe_wal = |start: f64| {
        vec![Series {
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
    let oldest_age = settings.outbox_oldest_event_age.as_secs();
    let slot_where_ko = "(DB: {{ $labels.db }}, 커넥터: {{ $labels.connector }})";
    let slot_where_en = "(database: {{ $labels.db }}, connector: {{ $labels.connector }})";
    vec![
        Alert {
            name: "ReplicationSlotInactive",
            expr: with_cluster(&format!("{} == 0", Selector::of(&catalog::REPLICATION_SLOT_ACTIVE))),
            for_: settings.slot_inactive_for,
            severity: Severity::Warning,
            summary: Text::new(
                "복제 슬롯에 연결된 소비자가 없음 ({{ $labels.slot }})",
                "Replication slot has no consumer ({{ $labels.slot }})",
            ),
            description: Text::new(
                format!(
                    "복제 슬롯 {{{{ $labels.slot }}}}에 {} 이상 아무도 연결되어 있지 않습니다. 그동안 변경 이벤트가 읽히지 않고, PostgreSQL은 이 슬롯을 위해 WAL을 지우지 못해 디스크가 찹니다. {slot_where_ko}",
                    duration_ko(settings.slot_inactive_for)
                ),
                format!(
                    "Nothing has been connected to replication slot {{{{ $labels.slot }}}} for more than {}. Meanwhile no changes are read, and PostgreSQL cannot remove WAL for this slot, so the disk fills. {slot_where_en}",
                    duration_en(settings.slot_inactive_for)
                ),
            ),
            runbook: Text::new(
                "슬롯을 읽는 커넥터가 멈췄습니다(FAILED, PAUSED, STOPPED, 또는 RUNNING이지만 DB에 연결하지 못함: PostgreSQL이 멈추면 Connect는 태스크를 RUNNING으로 둔 채 10초마다 재시도합니다). 커넥터 로그를 보고 재시작하세요. 더 이상 쓰지 않는 슬롯이면(커넥터 라벨이 비어 있으면) 3-c단계대로 삭제해 WAL을 풀어 주세요. 커넥터가 FAILED인 동안 이 알림은 억제됩니다.",
                "The connector reading the slot has stopped (FAILED, PAUSED, STOPPED, or RUNNING but unable to reach the database: when PostgreSQL is down Connect keeps the task RUNNING and retries every 10 s). Read the connector's log and restart it. If nothing uses the slot any more (empty connector label), drop it as in step 3c to release the WAL. While the connector is FAILED this alert is muted.",
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
                variants: vec![Variant {
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
                }],
            },
        },
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
                    "복제 슬롯 {{{{ $labels.slot }}}}의 소비자가 확인하지 않은 WAL이 {} 이상 {}를 넘었습니다. Debezium이 DB 변경을 따라가지 못하고 있으며, 그만큼의 WAL이 디스크에 남습니다. {slot_where_ko}",
                    duration_ko(settings.slot_lag_for),
                    bytes_text(lag_threshold)
                ),
                format!(
                    "The consumer of replication slot {{{{ $labels.slot }}}} has left more than {} of WAL unconfirmed for more than {}. Debezium is not keeping up with the database, and that much WAL stays on disk. {slot_where_en}",
                    bytes_text(lag_threshold),
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
        },
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
                    "복제 슬롯 {{{{ $labels.slot }}}}의 WAL이 max_slot_wal_keep_size를 넘었거나(unreserved), 지금 추세로는 {} 안에 넘습니다. lost가 되면 Debezium은 이어서 읽을 수 없고 초기 스냅샷부터 다시 해야 합니다. {slot_where_ko}",
                    duration_ko(horizon)
                ),
                format!(
                    "The WAL of replication slot {{{{ $labels.slot }}}} is past max_slot_wal_keep_size (unreserved), or will be within {} at the current rate. Once lost, Debezium cannot resume and must start again from an initial snapshot. {slot_where_en}",
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
                holds_from: step,
                labels: slot_labels(settings, &[]),
                // The same fall, still one minute's WAL above 0 when last checked.
                healthy: [
                    safe_wal(
                        (horizon + healthy_checked_at(step, settings.slot_wal_at_risk_for) + step).as_secs_f64() / 60.0
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
        },
        Alert {
            name: "ReplicationSlotLost",
            expr: with_cluster(&format!(
                "{} == 1",
                Selector::of(&catalog::REPLICATION_SLOT_WAL_STATUS).eq("status", "lost")
            )),
            for_: settings.slot_lost_for,
            severity: Severity::Critical,
            summary: Text::new(
                "복제 슬롯이 lost 상태 ({{ $labels.slot }})",
                "Replication slot lost ({{ $labels.slot }})",
            ),
            description: Text::new(
                format!(
                    "복제 슬롯 {{{{ $labels.slot }}}}에 필요한 WAL이 삭제되었습니다(wal_status=lost). 이 슬롯으로는 Debezium이 이어서 읽을 수 없어, 그 사이의 변경이 유실됩니다. {slot_where_ko}"
                ),
                format!(
                    "WAL that replication slot {{{{ $labels.slot }}}} needs has been removed (wal_status=lost). Debezium cannot resume from this slot: the changes in between are lost. {slot_where_en}"
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
        },
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
                        series: vec![
                            orphaned(1),
                            connect_up(EXPORTER_INSTANCE, 1),
                            connect_up("other-exporter:9543", 0),
                        ],
                        fires: Some(Duration::ZERO),
                        labels: None,
                    },
                ],
            },
        },
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
                firing: vec![Series {
                    selector: outbox_selector(&catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS, settings),
                    values: format!("{}x{SERIES_MINUTES}", oldest_age + 1),
                }],
                holds_from: Duration::ZERO,
                labels: scraped_labels(settings, &[("db", DATABASE), ("table", OUTBOX_TABLE)]),
                healthy: vec![Series {
                    selector: outbox_selector(&catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS, settings),
                    values: format!("{oldest_age}x{SERIES_MINUTES}"),
                }],
                implies: Vec::new(),
                variants: Vec::new(),
            },
        },
        Alert {
            name: "OutboxBacklogGrowing",
            expr: format!(
                "deriv({}[{}]) > 0",
                Selector::of(&catalog::OUTBOX_TABLE_ROWS),
                duration(settings.outbox_growth_window)
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
                "런북 시나리오 1의 증상입니다: 이벤트가 쌓이는데 발행되지 않는지 커넥터 상태와 슬롯 지연을 먼저 확인하세요. 커넥터가 정상이면, 행을 남기고 나중에 정리하는 방식에서 정리 작업이 따라가지 못하는 것입니다(측정 구간 `outbox_growth_window`는 정리 주기보다 길게 잡으세요). 행 수는 count_cap에서 멈추므로, 그 값에 닿으면 이 알림은 풀립니다.",
                "This is scenario 1's symptom: first check with the connector's state and the slot lag whether events pile up unpublished. If the connector is fine, the purge of a keep-and-purge outbox is not keeping up (make `outbox_growth_window` longer than the purge interval). The row count stops at count_cap, so this alert resolves once it gets there.",
            ),
            steps: &[Anchor::S1Symptoms, Anchor::S1Logs, Anchor::S1Restart],
            panel: PanelId::OUTBOX_ROWS,
            muted_by_failed_connector: false,
            example: Example {
                firing: vec![Series {
                    selector: outbox_selector(&catalog::OUTBOX_TABLE_ROWS, settings),
                    values: linear(0.0, 10.0),
                }],
                holds_from: step,
                labels: scraped_labels(settings, &[("db", DATABASE), ("table", OUTBOX_TABLE)]),
                healthy: vec![Series {
                    selector: outbox_selector(&catalog::OUTBOX_TABLE_ROWS, settings),
                    values: format!("1000x{SERIES_MINUTES}"),
                }],
                implies: Vec::new(),
                variants: Vec::new(),
            },
        },
    ]
}
