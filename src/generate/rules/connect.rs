//! Kafka Connect's own view of a pipeline (rule group `debezium-exporter.connect`): a connector
//! or one of its tasks FAILED, or a connector that is not running. The first two are the causes
//! that mute their pipeline's symptoms in Alertmanager.

use std::time::Duration;

use super::model::{Alert, Example, Implied, Variant};
use crate::catalog::{self, Anchor, FailureCause, Metric, Severity, State};
use crate::config::generate::Settings;
use crate::generate::fixture::{
    CLUSTER, CONNECTOR, connector_in, constant, scraped, scraped_labels, task_in, worker_with_one_connector_in,
};
use crate::generate::lang::{Text, duration_en, duration_ko};
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;

/// The alert that mutes a pipeline's other alerts (the source of the inhibition rule).
pub const CONNECTOR_FAILED: &str = "DebeziumConnectorFailed";
/// A FAILED task under a RUNNING connector, the usual shape of a Debezium failure: it mutes
/// its pipeline's symptoms too.
pub const TASK_FAILED: &str = "DebeziumTaskFailed";

/// The group's alerts, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    vec![debezium_connector_failed(settings), debezium_task_failed(settings), debezium_connector_not_running(settings)]
}

/// `failed` with the `cause` label of its cause series (`metric`, joined `on` the failure's
/// labels). `topk` keeps the join one-to-one even if a target ever showed two causes, and the
/// second branch keeps the alert, without `cause`, where no cause series exists (an exporter
/// older than the series). Each exporter of an HA pair joins only its own series.
fn with_cause(failed: String, metric: &'static Metric, on: &str) -> String {
    let cause = Selector::of(metric);
    format!(
        "({failed}) * on ({on}) group_left (cause) topk by ({on}) (1, {cause}) or ({failed}) unless on ({on}) {cause}"
    )
}

/// The example's cause: the one the stack shows most (a dropped publication).
const EXAMPLE_CAUSE: FailureCause = FailureCause::PublicationMissing;

/// Where the description sends people for the cause, `cause` being the alert's label.
fn cause_text(settings: &Settings) -> (String, String) {
    let url = format!("{}#cause-{{{{ $labels.cause }}}}", settings.runbook_url);
    (format!(" 원인(cause): {{{{ $labels.cause }}}} ({url})"), format!(" Cause: {{{{ $labels.cause }}}} ({url})"))
}

fn debezium_connector_failed(settings: &Settings) -> Alert {
    let failed_for = settings.connector_failed_for;
    let (cause_ko, cause_en) = cause_text(settings);
    let cause = |connector: &str| {
        let selector = Selector::of(&catalog::CONNECTOR_FAILURE_CAUSE)
            .eq("cluster", CLUSTER)
            .eq("connector", connector)
            .eq("cause", EXAMPLE_CAUSE.label());
        constant(scraped(selector, settings), 1)
    };
    let labels = |cause: Option<&str>| {
        let mut labels = vec![("cluster", CLUSTER), ("connector", CONNECTOR), ("state", State::Failed.label())];
        labels.extend(cause.map(|cause| ("cause", cause)));
        scraped_labels(settings, &labels)
    };
    Alert {
        name: CONNECTOR_FAILED,
        expr: with_cause(
            format!("{} == 1", Selector::of(&catalog::CONNECTOR_STATE).eq("state", State::Failed.label())),
            &catalog::CONNECTOR_FAILURE_CAUSE,
            "job, instance, cluster, connector",
        ),
        for_: failed_for,
        severity: Severity::Critical,
        summary: Text::new(
            "Debezium 커넥터 장애 발생 ({{ $labels.connector }})",
            "Debezium connector failed ({{ $labels.connector }})",
        ),
        description: Text::new(
            format!(
                "커넥터가 {} 이상 FAILED 상태입니다. 즉시 확인이 필요합니다. (Kafka Connect 클러스터: {{{{ $labels.cluster }}}}){cause_ko}",
                duration_ko(failed_for)
            ),
            format!(
                "The connector has been FAILED for more than {}. Check it now. (Kafka Connect cluster: {{{{ $labels.cluster }}}}){cause_en}",
                duration_en(failed_for)
            ),
        ),
        runbook: Text::new(
            format!(
                "Kafka Connect가 커넥터를 FAILED로 보고합니다. Outbox 이벤트가 Kafka로 발행되지 않습니다. 시나리오 1의 절차를 순서대로 따르세요. 이 알림이 울리는 동안 같은 커넥터의 다른 알림은 Alertmanager에서 억제됩니다. {CAUSE_KO}"
            ),
            format!(
                "Kafka Connect reports the connector FAILED. Outbox events are not published to Kafka. Follow scenario 1 in order. While this alert fires, Alertmanager mutes the other alerts of the same connector. {CAUSE_EN}"
            ),
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart, Anchor::S1Reset],
        panel: PanelId::CONNECTOR_STATES,
        muted_by_failed_connector: false,
        example: Example {
            firing: [
                connector_in(State::Failed, settings),
                worker_with_one_connector_in(State::Failed, settings),
                vec![cause(CONNECTOR)],
            ]
            .concat(),
            labels: labels(Some(EXAMPLE_CAUSE.label())),
            healthy: [connector_in(State::Running, settings), worker_with_one_connector_in(State::Running, settings)]
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
            variants: vec![Variant {
                what: "without a cause series it fires without a cause",
                series: [connector_in(State::Failed, settings), worker_with_one_connector_in(State::Failed, settings)]
                    .concat(),
                fires: Some(Duration::ZERO),
                labels: Some(labels(None)),
            }],
        },
    }
}

/// The runbook text both failed alerts add: where the cause comes from and how to route on it.
const CAUSE_KO: &str = "`cause` 레이블은 실패 trace에서 읽은 원인입니다(원인별 절이 이 문서에 있습니다). `debezium-exporter check`가 원인별 해결 명령을 이 파이프라인의 이름으로 출력하고 재시작이 도움이 되는지 알려 줍니다.";
const CAUSE_EN: &str = "The `cause` label is the cause read from the failure's trace (each has its section in this document). `debezium-exporter check` prints the fix for it with this pipeline's names, and whether a restart can help.";

fn debezium_task_failed(settings: &Settings) -> Alert {
    let (cause_ko, cause_en) = cause_text(settings);
    let cause = {
        let selector = Selector::of(&catalog::TASK_FAILURE_CAUSE)
            .eq("cluster", CLUSTER)
            .eq("connector", CONNECTOR)
            .eq("task", "0")
            .eq("cause", EXAMPLE_CAUSE.label());
        constant(scraped(selector, settings), 1)
    };
    let labels = |cause: Option<&str>| {
        let mut labels =
            vec![("cluster", CLUSTER), ("connector", CONNECTOR), ("task", "0"), ("state", State::Failed.label())];
        labels.extend(cause.map(|cause| ("cause", cause)));
        scraped_labels(settings, &labels)
    };
    Alert {
        name: TASK_FAILED,
        expr: with_cause(
            format!(
                "{} == 1 and on (cluster, connector) {} == 1",
                Selector::of(&catalog::CONNECTOR_TASK_STATE).eq("state", State::Failed.label()),
                Selector::of(&catalog::CONNECTOR_STATE).eq("state", State::Running.label()),
            ),
            &catalog::TASK_FAILURE_CAUSE,
            "job, instance, cluster, connector, task",
        ),
        for_: settings.task_failed_for,
        severity: Severity::Critical,
        summary: Text::new(
            "Debezium 태스크 장애 ({{ $labels.connector }} 태스크 {{ $labels.task }})",
            "Debezium task failed ({{ $labels.connector }} task {{ $labels.task }})",
        ),
        description: Text::new(
            format!(
                "커넥터는 RUNNING이지만 태스크 {{{{ $labels.task }}}}가 {} 이상 FAILED 상태입니다. 이벤트가 발행되지 않습니다. (Kafka Connect 클러스터: {{{{ $labels.cluster }}}}){cause_ko}",
                duration_ko(settings.task_failed_for)
            ),
            format!(
                "The connector is RUNNING but its task {{{{ $labels.task }}}} has been FAILED for more than {}. No events are published. (Kafka Connect cluster: {{{{ $labels.cluster }}}}){cause_en}",
                duration_en(settings.task_failed_for)
            ),
        ),
        runbook: Text::new(
            format!(
                "Debezium 장애는 보통 이렇게 나타납니다: 커넥터는 RUNNING인데 태스크가 FAILED입니다. 태스크의 trace(`GET /connectors/<이름>/status`)에서 원인을 찾은 뒤 `POST /connectors/<이름>/restart?includeTasks=true&onlyFailed=true`로 실패한 태스크만 재시작하세요. 이 알림이 울리는 동안 같은 커넥터의 증상 알림(스트리밍 멈춤, 지연, 슬롯 알림)은 Alertmanager에서 억제됩니다. {CAUSE_KO}"
            ),
            format!(
                "This is how a Debezium failure usually shows: the connector is RUNNING but its task is FAILED. Find the cause in the task's trace (`GET /connectors/<name>/status`), then restart only the failed tasks with `POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`. While this alert fires, Alertmanager mutes the symptoms of the same connector (not streaming, lag, slot alerts). {CAUSE_EN}"
            ),
        ),
        steps: &[Anchor::S1Logs, Anchor::S1Restart],
        panel: PanelId::TASK_STATES,
        muted_by_failed_connector: true,
        example: Example {
            firing: [connector_in(State::Running, settings), task_in("0", State::Failed, settings), vec![cause]]
                .concat(),
            labels: labels(Some(EXAMPLE_CAUSE.label())),
            healthy: [connector_in(State::Running, settings), task_in("0", State::Running, settings)].concat(),
            implies: Vec::new(),
            holds_from: Duration::ZERO,
            variants: vec![Variant {
                what: "without a cause series it fires without a cause",
                series: [connector_in(State::Running, settings), task_in("0", State::Failed, settings)].concat(),
                fires: Some(Duration::ZERO),
                labels: Some(labels(None)),
            }],
        },
    }
}

fn debezium_connector_not_running(settings: &Settings) -> Alert {
    let not_running = [State::Paused, State::Unassigned, State::Restarting];
    let not_running_regex = not_running.map(State::label).join("|");
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
    }
}
