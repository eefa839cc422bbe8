//! The runbook's incidents (../shared seed, docs/runbook.md), caused for real on the shared
//! stack and followed along the path our users rely on: the exporter binary → a real
//! Prometheus loading alerts/debezium-exporter.rules.yml unchanged → a real Alertmanager
//! loading alerts/alertmanager.yml unchanged.
//!
//! One exporter, Prometheus and Alertmanager serve every scenario; scenarios run concurrently,
//! each on its own pipeline (connector, slot, publication named `e2e-…`), and a healthy control
//! pipeline beside them must stay quiet throughout.

mod common;

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::FutureExt;
use reqwest::Method;

use common::alerting::{Alert, Alerting};
use common::{Connect, Exporter, env_or, outbox_connector, psql_admin};

/// The `cluster` label: the name the exporter gives the Connect worker.
const CLUSTER: &str = "e2e";
/// A new connector runs ≈ 11 s after its POST on the test broker (two group rebalances).
const PATIENCE: Duration = Duration::from_secs(90);
/// A `for: 1m` alert fires a minute after it went pending, plus scrape and evaluation delays.
const FOR_ONE_MINUTE: Duration = Duration::from_secs(60 + 30);

/// One outbox pipeline of this test: a connector with its own slot and publication.
struct Pipeline {
    connector: String,
    slot: String,
    publication: String,
}

impl Pipeline {
    /// Names unique to this run, so a concurrent run or a leftover cannot collide.
    fn new(role: &str) -> Self {
        let id = std::process::id();
        Pipeline {
            connector: format!("e2e-{role}-{id}"),
            slot: format!("e2e_{role}_{id}"),
            publication: format!("e2e_{role}_{id}_pub"),
        }
    }

    fn create_publication(&self) {
        psql_admin(&format!(
            "DROP PUBLICATION IF EXISTS {0}; CREATE PUBLICATION {0} FOR TABLE public.outbox",
            self.publication
        ));
    }

    async fn create(&self, connect: &Connect) {
        self.create_publication();
        connect.create(&outbox_connector(&self.connector, &self.slot, &self.publication)).await;
    }

    async fn remove(&self, connect: &Connect) {
        connect.remove(&self.connector, &self.slot).await;
        psql_admin(&format!("DROP PUBLICATION IF EXISTS {}", self.publication));
    }

    fn is_subject_of(&self, alert: &Alert) -> bool {
        alert.label("connector") == Some(self.connector.as_str()) || alert.label("slot") == Some(self.slot.as_str())
    }
}

struct Stack {
    connect: Connect,
    exporter: Exporter,
    alerting: Alerting,
    task_failure: Pipeline,
    control: Pipeline,
}

impl Stack {
    /// The alerts of this test (its pipelines and its exporter's own targets) that `expected`
    /// does not allow: they must not be pending or firing. Other people's connectors on the
    /// shared worker are not ours to judge.
    async fn unexpected_alerts(&self, expected: impl Fn(&Alert) -> bool) -> Vec<Alert> {
        let ours = |alert: &Alert| {
            [&self.task_failure, &self.control].iter().any(|pipeline| pipeline.is_subject_of(alert))
                || alert.label("target") == Some(CLUSTER)
                || alert.name() == "DebeziumExporterAbsent"
        };
        let alerts = self.alerting.prometheus_alerts().await;
        alerts.into_iter().filter(|alert| ours(alert) && !expected(alert)).collect()
    }

    /// Asserts the rest stayed quiet: nothing of ours is pending or firing besides `expected`.
    async fn assert_quiet_besides(&self, when: &str, expected: impl Fn(&Alert) -> bool) {
        let unexpected = self.unexpected_alerts(expected).await;
        assert!(unexpected.is_empty(), "{when}: alerts that should be quiet: {unexpected:#?}");
    }

    /// Waits until Prometheus (not only the exporter) sees the pipeline's connector and task 0 RUNNING.
    async fn wait_running(&self, pipeline: &Pipeline) {
        let expr = format!(
            "kafka_connect_connector_state{{cluster=\"{CLUSTER}\",connector=\"{0}\",state=\"running\"}} == 1 \
             and on (cluster, connector) \
             kafka_connect_connector_task_state{{connector=\"{0}\",task=\"0\",state=\"running\"}} == 1",
            pipeline.connector
        );
        self.alerting.wait_for_query(&expr, PATIENCE, |result| result.len() == 1).await;
    }
}

fn pg_dsn() -> String {
    format!(
        "host=127.0.0.1 port={} dbname={} user={} password={}",
        env_or("PG_PORT", "5432"),
        env_or("PG_DATABASE", "inventory"),
        env_or("PG_USER", "debezium"),
        common::pg_password()
    )
}

/// Every scenario, sharing one exporter, Prometheus and Alertmanager; pipelines are removed
/// whether the scenarios pass or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real stack (scripts/test)"]
async fn runbook_incidents_fire_the_generated_alerts() {
    let started = Instant::now();
    // SAFETY: set before any thread of ours reads the environment; only the exporter child reads it.
    unsafe { std::env::set_var("E2E_SCENARIO_DSN", pg_dsn()) };
    let connect = Connect::new();
    let exporter = Exporter::start(&[
        "--connect.url",
        &format!("{CLUSTER}={}", connect.url),
        "--postgres.dsn",
        &format!("{CLUSTER}=${{E2E_SCENARIO_DSN}}"),
        "--poll.interval",
        "1s",
    ]);
    let alerting = Alerting::start(exporter.base.trim_start_matches("http://")).await;
    let stack =
        Stack { connect, exporter, alerting, task_failure: Pipeline::new("task"), control: Pipeline::new("quiet") };

    let outcome = AssertUnwindSafe(run_scenarios(&stack)).catch_unwind().await;
    for pipeline in [&stack.task_failure, &stack.control] {
        pipeline.remove(&stack.connect).await;
    }
    if let Err(panic) = outcome {
        eprintln!("exporter log:\n{}\n{}", stack.exporter.log(), stack.alerting.logs());
        std::panic::resume_unwind(panic);
    }
    eprintln!("scenario suite wall time: {:.1?}", started.elapsed());
}

async fn run_scenarios(stack: &Stack) {
    stack.control.create(&stack.connect).await;
    stack.task_failure.create(&stack.connect).await;
    tokio::join!(stack.wait_running(&stack.control), stack.wait_running(&stack.task_failure));
    stack.assert_quiet_besides("every pipeline RUNNING", |_| false).await;

    task_failed(stack).await;

    stack.assert_quiet_besides("after every scenario", |_| false).await;
}

/// Runbook scenario 1, for a task: Debezium fails the task (not the connector) when its
/// publication is gone. `DebeziumTaskFailed` goes pending, fires, reaches Alertmanager with its
/// labels and Korean summary; step 2 (fix the cause, restart the failed task) clears it.
async fn task_failed(stack: &Stack) {
    let pipeline = &stack.task_failure;
    let name = pipeline.connector.as_str();
    let alerting = &stack.alerting;
    let this_alert = |alert: &Alert| alert.name() == "DebeziumTaskFailed" && alert.has(&[("connector", name)]);

    psql_admin(&format!("DROP PUBLICATION {}", pipeline.publication));
    let status = stack.connect.call(Method::POST, &format!("{name}/restart?includeTasks=true")).await;
    assert!(matches!(status, 202 | 204), "restart answered {status}");

    let alerts = alerting
        .wait_for_prometheus("DebeziumTaskFailed pending", PATIENCE, |alerts| alerts.iter().any(this_alert))
        .await;
    let alert = alerts.iter().find(|alert| this_alert(alert)).unwrap();
    assert!(alert.has(&[("cluster", CLUSTER), ("task", "0"), ("severity", "critical")]), "{alert:#?}");
    assert!(alert.has(&[("job", common::alerting::JOB)]), "{alert:#?}");
    assert_eq!(alert.annotation("summary"), Some(format!("Debezium 태스크 장애 ({name} 태스크 0)").as_str()));

    // The runbook's own expression watches the connector count: a failed task leaves its
    // connector RUNNING, so this connector is not among the failed ones; the task count is.
    let failed_connectors = alerting
        .query(&format!("kafka_connect_worker_connector_count{{cluster=\"{CLUSTER}\",state=\"failed\"}}"))
        .await;
    let failed_states =
        alerting.query(&format!("kafka_connect_connector_state{{cluster=\"{CLUSTER}\",state=\"failed\"}} == 1")).await;
    assert_eq!(failed_connectors.len(), 1, "{failed_connectors:?}");
    assert_eq!(failed_connectors[0].1, failed_states.len() as f64, "the count is the number of FAILED connectors");
    assert!(failed_states.iter().all(|(labels, _)| labels["connector"] != name), "{failed_states:?}");
    let failed_tasks =
        alerting.query(&format!("kafka_connect_worker_task_count{{cluster=\"{CLUSTER}\",state=\"failed\"}}")).await;
    assert!(failed_tasks.first().is_some_and(|(_, count)| *count >= 1.0), "{failed_tasks:?}");
    stack
        .assert_quiet_besides("task FAILED, pending", |alert| pipeline.is_subject_of(alert) && this_alert(alert))
        .await;

    alerting
        .wait_for_prometheus("DebeziumTaskFailed firing", FOR_ONE_MINUTE, |alerts| {
            alerts.iter().any(|alert| this_alert(alert) && alert.state() == "firing")
        })
        .await;
    let alerts = alerting
        .wait_for_alertmanager("DebeziumTaskFailed in Alertmanager", PATIENCE, |alerts| alerts.iter().any(this_alert))
        .await;
    let received = alerts.iter().find(|alert| this_alert(alert)).unwrap();
    assert!(received.has(&[("cluster", CLUSTER), ("task", "0"), ("severity", "critical")]), "{received:#?}");
    assert_eq!(received.state(), "active", "nothing inhibits a task failure under a RUNNING connector");
    assert_eq!(received.annotation("summary"), Some(format!("Debezium 태스크 장애 ({name} 태스크 0)").as_str()));
    let description = received.annotation("description").unwrap();
    assert!(description.contains(&format!("Kafka Connect 클러스터: {CLUSTER}")), "{description}");
    assert!(!description.contains("{{"), "every template is rendered: {description}");
    assert_eq!(received.0["receivers"][0]["name"], "debezium-critical", "{received:#?}");
    stack.assert_quiet_besides("task FAILED, firing", |alert| pipeline.is_subject_of(alert) && this_alert(alert)).await;
    // The failed task has let go of its slot: the slot alerts see this pipeline too, and only
    // `DebeziumConnectorFailed` inhibits them, which a task failure never raises.
    let slot_active = format!("pg_replication_slot_active{{slot=\"{}\",connector=\"{name}\"}} == 0", pipeline.slot);
    alerting.wait_for_query(&slot_active, PATIENCE, |result| result.len() == 1).await;

    // Step 2, once the cause is fixed.
    pipeline.create_publication();
    let status = stack.connect.call(Method::POST, &format!("{name}/restart?includeTasks=true&onlyFailed=true")).await;
    assert!(matches!(status, 202 | 204), "restart answered {status}");
    stack.wait_running(pipeline).await;
    alerting.wait_for_prometheus("DebeziumTaskFailed cleared", PATIENCE, |alerts| !alerts.iter().any(this_alert)).await;
    alerting
        .wait_for_alertmanager("DebeziumTaskFailed resolved", PATIENCE, |alerts| !alerts.iter().any(this_alert))
        .await;
}
