//! The runbook's incidents (../shared seed, docs/runbook.md), caused for real on the shared
//! stack and followed along the path our users rely on: the exporter binary → a real
//! Prometheus loading alerts/debezium-exporter.rules.yml unchanged → a real Alertmanager
//! loading alerts/alertmanager.yml unchanged.
//!
//! One exporter, Prometheus and Alertmanager serve every scenario; scenarios run concurrently,
//! each on its own pipeline (connector, slot, publication named `e2e-…`), and a healthy control
//! pipeline beside them must stay quiet throughout. Each scenario judges the alerts of its own
//! pipeline, the control pipeline's and the exporter's; the others are judged by their scenario.
//!
//! Two scenarios capture tables of their own instead of the outbox: the runbook's scenario 2
//! (a new module: `e2e7-…`, its table snapshotted, then read by a new consumer group that the
//! exporter's Kafka source watches) and a streaming lag that keeps growing (`e2e4-…`).
//!
//! Every outbox connector on the shared stack publishes every row of `public.outbox` to
//! `outbox.event.<aggregatetype>`, so the backlog scenario routes its connector's events to a
//! topic of its own: only there does a count prove that this connector lost nothing.

use crate::common;
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use reqwest::Method;

use common::alerting::{Alert, Alerting};
use common::kafka::{bootstrap, read_keys};
use common::{Connect, Exporter, env_or, outbox_connector, psql_admin};
use debezium_exporter::catalog::Metric;
use debezium_exporter::generate::recording;

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
        Pipeline::named("e2e", role)
    }

    /// Like `new`, with names that start with `area` instead of `e2e`.
    fn named(area: &str, role: &str) -> Self {
        let id = std::process::id();
        Pipeline {
            connector: format!("{area}-{role}-{id}"),
            slot: format!("{area}_{role}_{id}"),
            publication: format!("{area}_{role}_{id}_pub"),
        }
    }

    /// The table of a pipeline that captures a table of its own instead of the outbox.
    fn table(&self) -> String {
        format!("public.{}", self.slot)
    }

    /// Publishes `table()` (which the caller has created) and creates a plain (no EventRouter)
    /// connector capturing it, with `settings` on top.
    async fn create_for_table(&self, connect: &Connect, settings: &[(&str, &str)]) {
        let table = self.table();
        psql_admin(&format!(
            "GRANT SELECT ON {table} TO {}; DROP PUBLICATION IF EXISTS {1}; CREATE PUBLICATION {1} FOR TABLE {table}",
            env_or("PG_USER", "debezium"),
            self.publication
        ));
        let mut config = outbox_connector(&self.connector, &self.slot, &self.publication);
        let config_map = config["config"].as_object_mut().unwrap();
        config_map.retain(|key, _| !key.starts_with("transforms"));
        config_map.insert("table.include.list".into(), table.into());
        for (key, value) in settings {
            config_map.insert((*key).into(), (*value).into());
        }
        connect.create(&config).await;
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

    /// Like `create`, but the EventRouter publishes to `own_topic` instead of the topic every
    /// outbox connector of the stack shares.
    async fn create_with_own_topics(&self, connect: &Connect) {
        self.create_publication();
        let mut config = outbox_connector(&self.connector, &self.slot, &self.publication);
        config["config"]["transforms.outbox.route.topic.replacement"] =
            format!("{}.outbox.event.${{routedByValue}}", self.connector).into();
        connect.create(&config).await;
    }

    /// The topic `create_with_own_topics` routes this aggregate type's events to.
    fn own_topic(&self, aggregate: &str) -> String {
        format!("{}.outbox.event.{aggregate}", self.connector)
    }

    /// Deletes the connector, its slot and publication, and its own table if it has one.
    async fn remove(&self, connect: &Connect) {
        connect.remove(&self.connector, &self.slot).await;
        psql_admin(&format!("DROP PUBLICATION IF EXISTS {}; DROP TABLE IF EXISTS {}", self.publication, self.table()));
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
    backlog: Pipeline,
    control: Pipeline,
    /// Runbook scenario 2's new module (issue scenario 7).
    module: Pipeline,
    /// The pipeline whose streaming lag grows (issue scenario 4).
    lagging: Pipeline,
}

impl Stack {
    fn pipelines(&self) -> [&Pipeline; 3] {
        [&self.task_failure, &self.backlog, &self.control]
    }

    /// The alerts of `judged` pipelines, the control pipeline and the exporter's own targets
    /// that `expected` does not allow: they must not be pending or firing. Other people's
    /// connectors on the shared worker are not ours to judge.
    async fn unexpected_alerts(&self, judged: &[&Pipeline], expected: impl Fn(&Alert) -> bool) -> Vec<Alert> {
        let ours = |alert: &Alert| {
            judged.iter().chain([&&self.control]).any(|pipeline| pipeline.is_subject_of(alert))
                || alert.label("target") == Some(CLUSTER)
                || alert.name() == "DebeziumExporterAbsent"
        };
        let alerts = self.alerting.prometheus_alerts().await;
        alerts.into_iter().filter(|alert| ours(alert) && !expected(alert)).collect()
    }

    /// Asserts the rest stayed quiet: nothing of `judged` (and the control pipeline and the
    /// exporter) is pending or firing besides `expected`.
    async fn assert_quiet_besides(&self, when: &str, judged: &[&Pipeline], expected: impl Fn(&Alert) -> bool) {
        let unexpected = self.unexpected_alerts(judged, expected).await;
        assert!(unexpected.is_empty(), "{when}: alerts that should be quiet: {unexpected:#?}");
    }

    /// Asserts nothing of `pipeline` alone is pending or firing besides `expected`: for the
    /// scenarios that run beside the others' start-up, when the control pipeline may still be
    /// starting (the outbox scenarios judge it).
    async fn assert_pipeline_quiet(&self, when: &str, pipeline: &Pipeline, expected: impl Fn(&Alert) -> bool) {
        let alerts = self.alerting.prometheus_alerts().await;
        let unexpected: Vec<_> =
            alerts.into_iter().filter(|alert| pipeline.is_subject_of(alert) && !expected(alert)).collect();
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

/// The exporter's PostgreSQL source, with the stack's outbox table (the DSN and its password
/// stay in the environment), and its Kafka source watching the new module's topic and group.
fn exporter_config(module: &Pipeline) -> String {
    format!(
        "sources:
  postgres:
    - name: e2e
      dsn: ${{E2E_SCENARIO_DSN}}
      outbox:
        - table: public.outbox
          timestamp_column: created_at
  kafka:
    - name: {CLUSTER}
      bootstrap: {}
      topics: ['{}']
      consumer_groups: ['{}']
",
        bootstrap(),
        table_topic(module),
        module_group(module)
    )
}

/// Every scenario, sharing one exporter, Prometheus and Alertmanager; pipelines, outbox rows
/// and topics are removed whether the scenarios pass or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real stack (scripts/test)"]
async fn runbook_incidents_fire_the_generated_alerts() {
    let _room = common::room::enter(module_path!());
    let started = Instant::now();
    // SAFETY: set before any thread of ours reads the environment; only the exporter child reads it.
    unsafe { std::env::set_var("E2E_SCENARIO_DSN", common::exporter_dsn()) };
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("exporter.yml");
    let module = Pipeline::named("e2e7", "module");
    std::fs::write(&config, exporter_config(&module)).unwrap();
    let connect = Connect::new();
    let exporter = Exporter::start(&[
        "--config.file",
        config.to_str().unwrap(),
        "--connect.url",
        &format!("{CLUSTER}={}", connect.url),
        "--jolokia.url",
        &format!("{CLUSTER}=http://127.0.0.1:{}/jolokia", env_or("JOLOKIA_PORT", "8778")),
        "--poll.interval",
        "1s",
    ]);
    let alerting = Alerting::start(exporter.base.trim_start_matches("http://")).await;
    let stack = Stack {
        connect,
        exporter,
        alerting,
        task_failure: Pipeline::new("task"),
        backlog: Pipeline::new("backlog"),
        control: Pipeline::new("quiet"),
        module,
        lagging: Pipeline::named("e2e4", "lag"),
    };

    let failures = run_scenarios(&stack).await;
    for pipeline in stack.pipelines().into_iter().chain([&stack.module, &stack.lagging]) {
        pipeline.remove(&stack.connect).await;
    }
    let aggregate = backlog_aggregate();
    psql_admin(&format!("DELETE FROM public.outbox WHERE aggregatetype = '{aggregate}'"));
    let own_topics = [stack.backlog.own_topic(&aggregate), table_topic(&stack.module), table_topic(&stack.lagging)];
    delete_topics(&[&own_topics[0], &own_topics[1], &own_topics[2], &format!("outbox.event.{aggregate}")]).await;
    delete_group(&module_group(&stack.module)).await;
    eprintln!("scenario suite wall time: {:.1?}", started.elapsed());
    if !failures.is_empty() {
        eprintln!("exporter log:\n{}\n{}", stack.exporter.log(), stack.alerting.logs());
        panic!("{} scenario(s) failed:\n{}", failures.len(), failures.join("\n"));
    }
}

/// Runs one scenario to its end: a panic becomes its failure, so one failing scenario neither
/// stops nor hides the others.
async fn scenario(name: &str, run: impl Future<Output = ()>) -> Result<(), String> {
    AssertUnwindSafe(run).catch_unwind().await.map_err(|panic| {
        let text = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied());
        format!("{name}: {}", text.unwrap_or("panicked"))
    })
}

/// The scenarios on the outbox pipelines, the new module and the lagging pipeline side by side:
/// each has its own connector, slot, table or topic. Returns every scenario that failed.
async fn run_scenarios(stack: &Stack) -> Vec<String> {
    let (outbox, module, lagging) = tokio::join!(
        outbox_scenarios(stack),
        scenario("new module (runbook scenario 2)", new_module(stack)),
        scenario("streaming lag growing", streaming_lag_growing(stack)),
    );
    outbox.into_iter().chain([module, lagging]).filter_map(Result::err).collect()
}

/// The healthy start of the outbox pipelines, then the task failure and the backlog side by
/// side, then the quiet check after both (only when both passed: a failed one leaves alerts).
async fn outbox_scenarios(stack: &Stack) -> Vec<Result<(), String>> {
    if let Err(failure) = scenario("outbox pipelines start quiet", outbox_start(stack)).await {
        return vec![Err(failure)];
    }
    let (failed, backlog) = tokio::join!(
        scenario("task failed (runbook scenario 1)", task_failed(stack)),
        scenario("stopped with a backlog", stopped_with_backlog(stack)),
    );
    if failed.is_err() || backlog.is_err() {
        return vec![failed, backlog];
    }
    vec![scenario("quiet after every scenario", quiet_after_scenarios(stack)).await]
}

async fn outbox_start(stack: &Stack) {
    stack.control.create(&stack.connect).await;
    stack.task_failure.create(&stack.connect).await;
    stack.backlog.create_with_own_topics(&stack.connect).await;
    tokio::join!(
        stack.wait_running(&stack.control),
        stack.wait_running(&stack.task_failure),
        stack.wait_running(&stack.backlog)
    );
    // A connector's task is RUNNING a little before Debezium streams (its snapshot comes
    // first), so DebeziumConnectorStuck may be pending for a moment, and so may
    // ReplicationSlotInactive until the exporter's next PostgreSQL poll sees the slot taken
    // (on a loaded machine that poll can trail the JMX bridge's): wait until every pipeline
    // streams and both have passed, then nothing may be pending.
    let connectors = stack.pipelines().map(|pipeline| pipeline.connector.clone()).join("|");
    let all_streaming =
        format!("debezium_connector_streaming{{cluster=\"{CLUSTER}\",connector=~\"{connectors}\"}} == 1");
    stack.alerting.wait_for_query(&all_streaming, PATIENCE, |result| result.len() == 3).await;
    let starting_up = |alert: &Alert| {
        matches!(alert.name(), "DebeziumConnectorStuck" | "ReplicationSlotInactive")
            && stack.pipelines().iter().any(|pipeline| pipeline.is_subject_of(alert))
    };
    stack.alerting.wait_for_prometheus("start-up over", PATIENCE, |alerts| !alerts.iter().any(starting_up)).await;
    stack.assert_quiet_besides("every pipeline RUNNING", &stack.pipelines(), |_| false).await;
    recording_rules_record_real_data(stack, &connectors).await;
}

async fn quiet_after_scenarios(stack: &Stack) {
    // The task pipeline stays stuck after step 2 (see `task_failed`): DebeziumConnectorStuck
    // and DebeziumSourceDisconnected are pending for it, and its slot is inactive between
    // Debezium's retries, so its slot alert may be too; nothing else may be.
    let stuck_slot = |alert: &Alert| {
        (alert.name() == "ReplicationSlotInactive" && alert.has(&[("slot", &stack.task_failure.slot)]))
            || (matches!(alert.name(), "DebeziumConnectorStuck" | "DebeziumSourceDisconnected")
                && alert.has(&[("connector", &stack.task_failure.connector)]))
    };
    stack.assert_quiet_besides("after every scenario", &stack.pipelines(), stuck_slot).await;
}

/// The generated recording rules, evaluated by the real Prometheus on the exporter's real
/// output: each streaming pipeline gets its per-connector series, and the database its WAL
/// write rate (a rate needs two scrapes, hence the wait).
async fn recording_rules_record_real_data(stack: &Stack, connectors: &str) {
    // Debezium's lag is -1 (no series) until a pipeline has streamed an event: one outbox row
    // (of the backlog scenario's aggregate, removed with it) gives every outbox pipeline one.
    insert_outbox_rows(&backlog_aggregate(), 1_000, 1);
    let per_connector =
        |metric: &Metric| format!("{}{{cluster=\"{CLUSTER}\",connector=~\"{connectors}\"}}", metric.name);
    for metric in [&recording::EVENTS_SEEN_RATE, &recording::STREAMING_LAG_MAX] {
        stack.alerting.wait_for_query(&per_connector(metric), PATIENCE, |result| result.len() == 3).await;
    }
    let free = stack
        .alerting
        .wait_for_query(&per_connector(&recording::QUEUE_FREE_RATIO), PATIENCE, |result| result.len() == 3)
        .await;
    assert!(free.iter().all(|(_, ratio)| (0.0..=1.0).contains(ratio)), "queue free ratios: {free:?}");
    let wal =
        stack.alerting.wait_for_query(recording::WAL_WRITE_RATE.name, PATIENCE, |result| !result.is_empty()).await;
    assert!(wal.iter().all(|(_, rate)| *rate >= 0.0), "WAL write rates: {wal:?}");
}

/// `debezium_connector_streaming` of a connector as Prometheus has it (the JMX side of
/// `DebeziumConnectorStuck`): `None` when the series is absent.
async fn streaming(alerting: &Alerting, connector: &str) -> Option<f64> {
    let expr = format!("debezium_connector_streaming{{cluster=\"{CLUSTER}\",connector=\"{connector}\"}}");
    alerting.query(&expr).await.first().map(|(_, value)| *value)
}

/// Runbook scenario 1, for a task: Debezium fails the task (not the connector) when its
/// publication is gone. `DebeziumTaskFailed` goes pending, fires, reaches Alertmanager with its
/// labels and Korean summary; step 2 (fix the cause, restart the failed task) clears it, and
/// the task either streams again or stays RUNNING and stuck. Along the way, the JMX side of
/// scenario 2b: `debezium_connector_streaming` is 1 while streaming, 0 while FAILED or stuck.
async fn task_failed(stack: &Stack) {
    let pipeline = &stack.task_failure;
    let judged = &[pipeline];
    let name = pipeline.connector.as_str();
    let alerting = &stack.alerting;
    let this_alert = |alert: &Alert| alert.name() == "DebeziumTaskFailed" && alert.has(&[("connector", name)]);
    // The failed task lets go of its slot and stops streaming (its streaming bean may read
    // disconnected before it is unregistered): the same pipeline's slot, stuck and
    // disconnected alerts may be pending too; Alertmanager mutes them behind
    // DebeziumTaskFailed, on the same cluster and connector.
    let slot_alert =
        |alert: &Alert| alert.name() == "ReplicationSlotInactive" && alert.has(&[("slot", &pipeline.slot)]);
    let symptom = |alert: &Alert| {
        slot_alert(alert)
            || (matches!(alert.name(), "DebeziumConnectorStuck" | "DebeziumSourceDisconnected")
                && alert.has(&[("connector", name)]))
    };
    let streaming_now = format!("debezium_connector_streaming{{cluster=\"{CLUSTER}\",connector=\"{name}\"}} == 1");

    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.len() == 1).await;

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

    // Debezium unregisters its MBeans while the task is FAILED: the series is 0 or gone.
    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.is_empty()).await;
    eprintln!("task FAILED: debezium_connector_streaming{{connector={name}}} = {:?}", streaming(alerting, name).await);

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
    stack.assert_quiet_besides("task FAILED, pending", judged, |alert| this_alert(alert) || symptom(alert)).await;

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
    stack.assert_quiet_besides("task FAILED, firing", judged, |alert| this_alert(alert) || symptom(alert)).await;

    // Scenario 3's inhibition, as far as real alerts go: the slot alert of this pipeline is
    // pending with the `cluster` and `connector` that the generated inhibit rules compare with
    // DebeziumTaskFailed's, so once it fires (after its 10 m `for`, too long to wait for here)
    // Alertmanager mutes it behind the task alert; tests/exporter/generate.rs proves that muting on a
    // real Alertmanager with the same labels.
    let alerts = alerting
        .wait_for_prometheus("ReplicationSlotInactive of the failed task's slot", PATIENCE, |alerts| {
            alerts.iter().any(slot_alert)
        })
        .await;
    let slot_pending = alerts.iter().find(|alert| slot_alert(alert)).unwrap();
    assert!(slot_pending.has(&[("cluster", CLUSTER), ("connector", name), ("db", "e2e")]), "{slot_pending:#?}");
    let muting = alerting.alertmanager_alerts().await;
    assert!(
        !muting.iter().any(|alert| alert.name() == "DebeziumConnectorFailed" && alert.has(&[("connector", name)])),
        "a task failure must not raise DebeziumConnectorFailed: {muting:#?}"
    );

    // Step 2, once the cause is fixed: the task is RUNNING again and `DebeziumTaskFailed`
    // clears. Whether it then streams depends on the slot: when its restart point predates the
    // re-created publication, decoding uses the catalog of that point, where the publication
    // does not exist, and Debezium retries that every 10 s for ever (Connect's log:
    // `publication "…" does not exist`): scenario 2b's "stuck but RUNNING". Both outcomes were
    // seen on this stack; either way the metric and the generated alert must agree.
    pipeline.create_publication();
    let status = stack.connect.call(Method::POST, &format!("{name}/restart?includeTasks=true&onlyFailed=true")).await;
    assert!(matches!(status, 202 | 204), "restart answered {status}");
    stack.wait_running(pipeline).await;
    alerting.wait_for_prometheus("DebeziumTaskFailed cleared", PATIENCE, |alerts| !alerts.iter().any(this_alert)).await;
    alerting
        .wait_for_alertmanager("DebeziumTaskFailed resolved", PATIENCE, |alerts| !alerts.iter().any(this_alert))
        .await;
    let stuck_alert = |alert: &Alert| alert.name() == "DebeziumConnectorStuck" && alert.has(&[("connector", name)]);
    // Give a recovering connector a few retries' time to stream again.
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    while streaming(alerting, name).await != Some(1.0) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    match streaming(alerting, name).await {
        Some(1.0) => {
            eprintln!("after step 2: {name} streams again");
            alerting
                .wait_for_prometheus("no DebeziumConnectorStuck once streaming", PATIENCE, |alerts| {
                    !alerts.iter().any(stuck_alert)
                })
                .await;
        }
        value => {
            eprintln!("after step 2: {name} RUNNING but debezium_connector_streaming = {value:?}: stuck");
            let seen = alerting
                .wait_for_prometheus("DebeziumConnectorStuck pending", PATIENCE, |alerts| {
                    alerts.iter().any(stuck_alert)
                })
                .await;
            let alert = seen.iter().find(|alert| stuck_alert(alert)).unwrap();
            assert_eq!(alert.label("cluster"), Some(CLUSTER));
        }
    }
}

/// The outbox rows' `aggregatetype` of the backlog scenario, unique to this run.
fn backlog_aggregate() -> String {
    format!("e2ebacklog{}", std::process::id())
}

/// Inserts outbox rows `first..first + count` of `aggregate`, keyed `e2e-<n>`, in one transaction.
fn insert_outbox_rows(aggregate: &str, first: usize, count: usize) -> BTreeSet<String> {
    let keys: BTreeSet<String> = (first..first + count).map(|n| format!("e2e-{n}")).collect();
    let values: Vec<String> = keys
        .iter()
        .map(|key| format!("(gen_random_uuid(), '{aggregate}', '{key}', 'OrderCreated', '{{\"total\": 42}}')"))
        .collect();
    psql_admin(&format!(
        "INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload) VALUES {}",
        values.join(", ")
    ));
    keys
}

/// One value from an instant query that must return exactly one series.
async fn single(alerting: &Alerting, expr: &str) -> f64 {
    let result = alerting.wait_for_query(expr, PATIENCE, |result| result.len() == 1).await;
    result[0].1
}

/// Runbook scenarios 3 and 5 on one pipeline: the connector is STOPPED while the application
/// keeps writing to the outbox. The slot goes inactive and its lag and retained WAL grow
/// (`ReplicationSlotInactive` pending; `ReplicationSlotLagHigh` needs 1 GiB, so only the growth
/// of its metric is asserted), the outbox metrics move (`OutboxBacklogGrowing` pending); after
/// the resume every inserted event reaches Kafka.
async fn stopped_with_backlog(stack: &Stack) {
    let pipeline = &stack.backlog;
    let judged = &[pipeline];
    let name = pipeline.connector.as_str();
    let slot = pipeline.slot.as_str();
    let alerting = &stack.alerting;
    let aggregate = backlog_aggregate();
    let slot_alert = |alert: &Alert| alert.name() == "ReplicationSlotInactive" && alert.has(&[("slot", slot)]);
    // A stopping task's streaming bean may read disconnected for a scrape before it goes.
    let stopping = |alert: &Alert| {
        slot_alert(alert) || (alert.name() == "DebeziumSourceDisconnected" && alert.has(&[("connector", name)]))
    };
    let outbox = "{db=\"e2e\",table=\"public.outbox\"}";
    let lag = format!("pg_replication_slot_lag_bytes{{slot=\"{slot}\",connector=\"{name}\"}}");
    let retained = format!("pg_replication_slot_retained_wal_bytes{{slot=\"{slot}\",connector=\"{name}\"}}");

    let status = stack.connect.call(Method::PUT, &format!("{name}/stop")).await;
    assert!(matches!(status, 202 | 204), "stop answered {status}");
    let stopped =
        format!("kafka_connect_connector_state{{cluster=\"{CLUSTER}\",connector=\"{name}\",state=\"stopped\"}} == 1");
    alerting.wait_for_query(&stopped, PATIENCE, |result| result.len() == 1).await;
    let inactive = format!("pg_replication_slot_active{{slot=\"{slot}\",connector=\"{name}\"}} == 0");
    alerting.wait_for_query(&inactive, PATIENCE, |result| result.len() == 1).await;
    let streaming_now = format!("debezium_connector_streaming{{cluster=\"{CLUSTER}\",connector=\"{name}\"}} == 1");
    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.is_empty()).await;

    // The application keeps writing: two batches, each seen by Prometheus before the next.
    let rows_before = single(alerting, &format!("outbox_table_rows{outbox}")).await;
    let first_insert = Instant::now();
    let mut inserted = insert_outbox_rows(&aggregate, 0, 10);
    let rows_expr = format!("outbox_table_rows{outbox} >= {}", rows_before + 10.0);
    alerting.wait_for_query(&rows_expr, PATIENCE, |result| result.len() == 1).await;
    let (lag_1, retained_1) = (single(alerting, &lag).await, single(alerting, &retained).await);
    let age_1 = single(alerting, &format!("outbox_oldest_event_age_seconds{outbox}")).await;

    inserted.extend(insert_outbox_rows(&aggregate, 10, 10));
    let rows_expr = format!("outbox_table_rows{outbox} >= {}", rows_before + 20.0);
    alerting.wait_for_query(&rows_expr, PATIENCE, |result| result.len() == 1).await;
    let lag_2 = alerting.wait_for_query(&format!("{lag} > {lag_1}"), PATIENCE, |result| result.len() == 1).await[0].1;
    let retained_2 =
        alerting.wait_for_query(&format!("{retained} > {retained_1}"), PATIENCE, |result| result.len() == 1).await[0].1;
    // The oldest row is at least as old as our first one, and ages while nobody publishes it.
    let age_2 = single(alerting, &format!("outbox_oldest_event_age_seconds{outbox}")).await;
    assert!(age_2 > age_1, "the oldest outbox event ages: {age_1} then {age_2}");
    assert!(
        age_2 >= first_insert.elapsed().as_secs_f64() - 5.0,
        "oldest event age {age_2} s, but our first row was inserted {:?} ago",
        first_insert.elapsed()
    );
    eprintln!(
        "connector STOPPED: slot lag {lag_1} → {lag_2} bytes, retained WAL {retained_1} → {retained_2} bytes, \
         oldest outbox event {age_1} → {age_2} s"
    );

    let alerts = alerting
        .wait_for_prometheus("ReplicationSlotInactive pending", PATIENCE, |alerts| alerts.iter().any(slot_alert))
        .await;
    let alert = alerts.iter().find(|alert| slot_alert(alert)).unwrap();
    assert!(
        alert.has(&[("cluster", CLUSTER), ("connector", name), ("db", "e2e"), ("severity", "warning")]),
        "{alert:#?}"
    );
    assert_eq!(alert.annotation("summary"), Some(format!("복제 슬롯에 연결된 소비자가 없음 ({slot})").as_str()));
    let backlog_alert = |alert: &Alert| {
        alert.name() == "OutboxBacklogGrowing" && alert.has(&[("db", "e2e"), ("table", "public.outbox")])
    };
    alerting
        .wait_for_prometheus("OutboxBacklogGrowing pending", PATIENCE, |alerts| alerts.iter().any(backlog_alert))
        .await;
    // A deliberate stop is not `DebeziumConnectorNotRunning`; nothing else of ours speaks.
    stack.assert_quiet_besides("connector STOPPED with a backlog", judged, stopping).await;

    let status = stack.connect.call(Method::PUT, &format!("{name}/resume")).await;
    assert!(matches!(status, 202 | 204), "resume answered {status}");
    stack.wait_running(pipeline).await;
    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.len() == 1).await;
    let topic = pipeline.own_topic(&aggregate);
    let received = tokio::task::spawn_blocking(move || read_keys(&topic, &inserted, PATIENCE)).await.unwrap();
    eprintln!("after the resume: {} records of {name} on its topic, every inserted event among them", received);
    alerting
        .wait_for_prometheus("ReplicationSlotInactive cleared", PATIENCE, |alerts| !alerts.iter().any(slot_alert))
        .await;
}

async fn delete_topics(names: &[&str]) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    for result in admin.delete_topics(names, &AdminOptions::new()).await.unwrap() {
        if let Err((topic, error)) = result {
            eprintln!("cleanup: deleting {topic}: {error}");
        }
    }
}

/// Rows in the new module's table before its connector exists: enough for a snapshot of a few
/// seconds on this stack, which the exporter (reading the bean every second) sees running.
const MODULE_ROWS: usize = 100_000;

/// The topic a `create_for_table` pipeline publishes to: Debezium names it after the
/// connector's `topic.prefix` and the table.
fn table_topic(pipeline: &Pipeline) -> String {
    format!("{}.{}", pipeline.connector, pipeline.table())
}

/// The consumer group of the new module's service.
fn module_group(module: &Pipeline) -> String {
    format!("{}-sync", module.connector)
}

/// Runbook scenario 2, steps 1–3: a new table with rows, a new connector with
/// `snapshot.mode=initial` on it, a new service's consumer group reading what the snapshot
/// published. The snapshot metrics move from running to every row scanned; the group's lag is
/// seen above 0 and then reaches 0; `ConsumerGroupNotCatchingUp` and `DebeziumSnapshotStalled`
/// stay quiet once the snapshot is done, while the group catches up and after.
async fn new_module(stack: &Stack) {
    let module = &stack.module;
    let (name, table, alerting) = (module.connector.as_str(), module.table(), &stack.alerting);
    let (topic, group) = (table_topic(module), module_group(module));
    psql_admin(&format!(
        "DROP TABLE IF EXISTS {table}; \
         CREATE TABLE {table} (id integer PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL); \
         INSERT INTO {table} SELECT n, 'item ' || n, n % 1000 FROM generate_series(1, {MODULE_ROWS}) n"
    ));
    module.create_for_table(&stack.connect, &[("snapshot.mode", "initial")]).await;

    // The exporter, scraped directly and often, shows the snapshot's progress as it happens;
    // the snapshot of this table takes a second or two, shorter than Prometheus's scrapes.
    let progress = std::sync::Mutex::new(Vec::new());
    let metric = |exposition: &common::Exposition, metric: &str| exposition.value(metric, &[("connector", name)]);
    let done = stack
        .exporter
        .wait_for("the new module's snapshot completed", PATIENCE, |exposition| {
            let running = metric(exposition, "debezium_metrics_snapshot_running");
            let scanned =
                exposition.value("debezium_metrics_rows_scanned", &[("connector", name), ("table", table.as_str())]);
            let mut progress = progress.lock().unwrap();
            if running.is_some() && progress.last() != Some(&(running, scanned)) {
                progress.push((running, scanned));
            }
            metric(exposition, "debezium_metrics_snapshot_completed") == Some(1.0)
        })
        .await;
    let progress = progress.into_inner().unwrap();
    let took = metric(&done, "debezium_metrics_snapshot_duration_seconds").unwrap();
    eprintln!("new module: a {took} s snapshot; (running, rows scanned) as the exporter saw it: {progress:?}");
    assert_eq!(progress.last(), Some(&(Some(0.0), Some(MODULE_ROWS as f64))), "{progress:?}");
    // The exporter reads the bean every second: a snapshot that long was seen running.
    if took >= 3.0 {
        assert_eq!(progress.first().map(|(running, _)| *running), Some(Some(1.0)), "{progress:?}");
    }

    // Prometheus has the same story: one table, none left, every row scanned, done.
    let of_connector = format!("cluster=\"{CLUSTER}\",connector=\"{name}\"");
    alerting
        .wait_for_query(&format!("debezium_metrics_snapshot_completed{{{of_connector}}} == 1"), PATIENCE, |result| {
            result.len() == 1
        })
        .await;
    let snapshot = |metric: &str| format!("debezium_metrics_{metric}{{{of_connector}}}");
    assert_eq!(single(alerting, &snapshot("snapshot_running")).await, 0.0);
    assert_eq!(single(alerting, &snapshot("snapshot_tables")).await, 1.0);
    assert_eq!(single(alerting, &snapshot("snapshot_remaining_tables")).await, 0.0);
    let rows = format!("debezium_metrics_rows_scanned{{{of_connector},table=\"{table}\"}}");
    assert_eq!(single(alerting, &rows).await, MODULE_ROWS as f64);

    // While a healthy snapshot runs, its slot has no reader yet, Debezium fills `RowsScanned`
    // for a table only every 10 s of its scan and at its end (empty throughout these 1–3 s ones),
    // and the snapshot fills Debezium's queue faster than Connect drains it into Kafka, so
    // ReplicationSlotInactive, DebeziumSnapshotStalled and DebeziumQueueNearlyFull may be pending
    // for those seconds (their 10 m and 5 m `for:` keep them from firing), and a moment of
    // "RUNNING, not streaming yet" follows: once the connector streams, all that must clear.
    let streaming_now = format!("debezium_connector_streaming{{{of_connector}}} == 1");
    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.len() == 1).await;
    let snapshotting = |alert: &Alert| {
        module.is_subject_of(alert)
            && matches!(
                alert.name(),
                "DebeziumConnectorStuck"
                    | "DebeziumSnapshotStalled"
                    | "DebeziumQueueNearlyFull"
                    | "ReplicationSlotInactive"
            )
    };
    let seen = alerting.prometheus_alerts().await;
    let during: BTreeSet<&str> = seen.iter().filter(|alert| snapshotting(alert)).map(Alert::name).collect();
    eprintln!("new module: pending while the snapshot ran: {during:?}");
    alerting
        .wait_for_prometheus("the new module's snapshot-time alerts cleared", Duration::from_secs(30), |alerts| {
            !alerts.iter().any(snapshotting)
        })
        .await;
    stack.assert_pipeline_quiet("new module snapshotted", module, |_| false).await;

    // Step 3: the new service reads everything. Everything about this pipeline and its group
    // must stay quiet meanwhile; Prometheus is asked every half second.
    let ours = |alert: &Alert| module.is_subject_of(alert) || alert.label("group") == Some(group.as_str());
    let sync = {
        let (topic, group) = (topic.clone(), group.clone());
        tokio::task::spawn_blocking(move || sync_new_module(&topic, &group))
    };
    let mut noisy = Vec::new();
    while !sync.is_finished() {
        noisy.extend(alerting.prometheus_alerts().await.into_iter().filter(ours));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let read = sync.await.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
    if !noisy.is_empty() {
        // What made the alert speak: the group's lag per partition and the topic's watermarks.
        alerting.print_history(&format!("kafka_consumergroup_lag{{group=\"{group}\"}}[10m]")).await;
        alerting.print_history(&format!("kafka_topic_partition_high_watermark{{topic=\"{topic}\"}}[10m]")).await;
    }
    assert!(noisy.is_empty(), "while the new module caught up: {noisy:#?}");

    let of_group = format!("cluster=\"{CLUSTER}\",group=\"{group}\",topic=\"{topic}\"");
    alerting
        .wait_for_query(&format!("kafka_consumergroup_lag_sum{{{of_group}}} == 0"), PATIENCE, |result| {
            result.len() == 1
        })
        .await;
    let most = single(alerting, &format!("max_over_time(kafka_consumergroup_lag_sum{{{of_group}}}[10m])")).await;
    assert!(most > 0.0, "Prometheus saw the group behind before it caught up: at most {most}");
    eprintln!("new module: group {group} read {read} records, lag at most {most}, then 0");
    stack.assert_pipeline_quiet("new module caught up", module, |_| false).await;
    let alerts = alerting.prometheus_alerts().await;
    assert!(!alerts.iter().any(ours), "after the new module caught up: {alerts:#?}");
}

/// The new service's first sync: joins `group` (≈ 23 s on the test broker), reads `topic` from
/// the beginning, committing every 1,000 records and pausing 100 ms after each commit (its own
/// work), until it has seen every id of the table; returns how many records it read. The pauses
/// let Prometheus see the lag go down rather than only its end.
///
/// A partition the group has never committed has no lag series, so a first commit that covers
/// one partition of four, followed by the others' first commits, makes the lag sum grow: what
/// `ConsumerGroupNotCatchingUp` reads as falling behind (seen here: the broker serves one
/// partition after another). The service therefore commits only once it has read from every
/// partition it was assigned.
fn sync_new_module(topic: &str, group: &str) -> usize {
    const COMMIT_EVERY: usize = 1_000;
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let (mut ids, mut read) = (BTreeSet::new(), 0);
    let (mut partitions_read, mut committed) = (BTreeSet::new(), false);
    while ids.len() < MODULE_ROWS {
        assert!(Instant::now() < deadline, "{group}: {} of {MODULE_ROWS} rows after {read} records", ids.len());
        let Some(message) = consumer.poll(Duration::from_millis(200)) else { continue };
        let message = message.unwrap();
        read += 1;
        partitions_read.insert(message.partition());
        // Connect's JsonConverter (schemas off) writes the key as {"id": n}.
        let key: serde_json::Value = serde_json::from_slice(message.key().expect("a key")).unwrap();
        ids.insert(key["id"].as_i64().expect("an integer id"));
        let every_partition = || partitions_read.len() == consumer.assignment().unwrap().count();
        if read % COMMIT_EVERY == 0 && (committed || every_partition()) {
            consumer.commit_consumer_state(CommitMode::Sync).unwrap();
            committed = true;
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // librdkafka refuses a commit with nothing new in it (NoOffset).
    if read % COMMIT_EVERY != 0 || !committed {
        consumer.commit_consumer_state(CommitMode::Sync).unwrap();
    }
    read
}

/// Rows of the one large transaction in the lag scenario: enough that working through it
/// takes the throttled connector several of the exporter's one-second polls (150,000 events
/// took 3–4 s on this stack, a climb of only 2–3 s to watch).
const LAG_ROWS: usize = 300_000;

/// Issue scenario 4, the runbook's "if this value keeps growing, it is serious":
/// `MilliSecondsBehindSource` is, per event, the time between its transaction's commit and the
/// connector handling it. It grows while the connector works through events committed longer
/// ago than it takes to reach them: here a batch job's single large transaction, committed while
/// the connector was stopped for over a minute. After the resume, every event of that
/// transaction carries the same commit time, so the lag climbs with the clock from above a
/// minute until the transaction is done, and `DebeziumStreamingLagGrowing` goes pending. The
/// connector is throttled the way a misconfigured one is, one record per batch
/// (`max.batch.size=1`), so that working through the transaction takes long enough to watch.
async fn streaming_lag_growing(stack: &Stack) {
    let pipeline = &stack.lagging;
    let (name, table, alerting) = (pipeline.connector.as_str(), pipeline.table(), &stack.alerting);
    psql_admin(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} \
         (id bigserial PRIMARY KEY, customer integer NOT NULL, total numeric(10, 2) NOT NULL, note text NOT NULL)"
    ));
    let settings = [("snapshot.mode", "no_data"), ("max.batch.size", "1"), ("max.queue.size", "2")];
    pipeline.create_for_table(&stack.connect, &settings).await;
    let insert = |rows: usize| {
        psql_admin(&format!(
            "INSERT INTO {table} (customer, total, note) SELECT n % 977, n % 10000 / 100.0, 'order ' || n \
             FROM generate_series(1, {rows}) n"
        ))
    };
    let lag = format!("debezium_metrics_milli_seconds_behind_source{{cluster=\"{CLUSTER}\",connector=\"{name}\"}}");
    let exporter_lag = |exposition: &common::Exposition| {
        exposition.value("debezium_metrics_milli_seconds_behind_source", &[("connector", name)])
    };

    // Streaming normally: one event, handled at once.
    stack.wait_running(pipeline).await;
    let streaming_now = format!("debezium_connector_streaming{{cluster=\"{CLUSTER}\",connector=\"{name}\"}} == 1");
    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.len() == 1).await;
    insert(1);
    let normal = alerting.wait_for_query(&format!("{lag} < 60000"), PATIENCE, |result| result.len() == 1).await[0].1;

    // The connector is down while a batch job commits one large transaction.
    let status = stack.connect.call(Method::PUT, &format!("{name}/stop")).await;
    assert!(matches!(status, 202 | 204), "stop answered {status}");
    let stopped =
        format!("kafka_connect_connector_state{{cluster=\"{CLUSTER}\",connector=\"{name}\",state=\"stopped\"}} == 1");
    alerting.wait_for_query(&stopped, PATIENCE, |result| result.len() == 1).await;
    insert(LAG_ROWS);
    let committed = Instant::now();
    // The cause, not an assertion: the transaction must be over a minute old when the connector
    // comes back, for the rule's "more than a minute behind".
    tokio::time::sleep((committed + Duration::from_secs(65)).saturating_duration_since(Instant::now())).await;

    let status = stack.connect.call(Method::PUT, &format!("{name}/resume")).await;
    assert!(matches!(status, 202 | 204), "resume answered {status}");
    let behind = stack
        .exporter
        .wait_for("the lag above a minute", PATIENCE, |exposition| {
            exporter_lag(exposition).is_some_and(|ms| ms > 60_000.0)
        })
        .await;
    let first = exporter_lag(&behind).unwrap();
    let later = stack
        .exporter
        .wait_for("the lag growing by 2 s", PATIENCE, |exposition| {
            exporter_lag(exposition).is_some_and(|ms| ms > first + 2_000.0)
        })
        .await;
    let later = exporter_lag(&later).unwrap();
    let events = |exposition: &common::Exposition| {
        exposition.value("debezium_metrics_number_of_events_seen_total", &[("connector", name)])
    };
    let through = stack
        .exporter
        .wait_for("the large transaction worked through", PATIENCE, |exposition| {
            events(exposition).is_some_and(|seen| seen >= LAG_ROWS as f64)
        })
        .await;
    let last = exporter_lag(&through).unwrap();
    eprintln!(
        "lagging connector: {normal} ms behind while streaming normally; after the resume {first} ms, \
         then {later} ms, {last} ms once through the transaction"
    );

    let this_alert = |alert: &Alert| alert.name() == "DebeziumStreamingLagGrowing" && alert.has(&[("connector", name)]);
    let alerts = alerting
        .wait_for_prometheus("DebeziumStreamingLagGrowing pending", PATIENCE, |alerts| alerts.iter().any(this_alert))
        .await;
    let alert = alerts.iter().find(|alert| this_alert(alert)).unwrap();
    let highest = single(alerting, &format!("max_over_time({lag}[5m])")).await;
    eprintln!("lagging connector: DebeziumStreamingLagGrowing pending; Prometheus saw the lag reach {highest} ms");
    assert!(alert.has(&[("cluster", CLUSTER), ("server", name), ("severity", "warning")]), "{alert:#?}");
    assert_eq!(alert.annotation("summary"), Some(format!("Debezium 스트리밍 지연이 계속 늘어남 ({name})").as_str()));
    // The throttled connector's queue is full while it works through the transaction, the slot
    // was inactive while the connector was stopped, and a stopping or starting task reads
    // disconnected or not streaming for a scrape: those alerts of this pipeline may be pending
    // too; nothing else may.
    let expected = |alert: &Alert| {
        this_alert(alert)
            || (alert.name() == "DebeziumQueueNearlyFull" && alert.has(&[("connector", name)]))
            || (alert.name() == "ReplicationSlotInactive" && alert.has(&[("slot", &pipeline.slot)]))
            || (matches!(alert.name(), "DebeziumConnectorStuck" | "DebeziumSourceDisconnected")
                && alert.has(&[("connector", name)]))
    };
    stack.assert_pipeline_quiet("streaming lag growing", pipeline, expected).await;
}

async fn delete_group(group: &str) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    match admin.delete_groups(&[group], &AdminOptions::new()).await {
        Ok(results) => {
            for (group, error) in results.into_iter().filter_map(Result::err) {
                eprintln!("cleanup: deleting group {group}: {error}");
            }
        }
        Err(error) => eprintln!("cleanup: deleting group {group}: {error}"),
    }
}
