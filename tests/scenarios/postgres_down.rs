//! Runbook scenario 2b for real: PostgreSQL is stopped under a streaming Debezium connector.
//! Kafka Connect keeps the connector and its task RUNNING while Debezium waits to retry, so
//! only the exporter's join of Connect's state with Debezium's streaming MBean tells: a real
//! Prometheus loading alerts/debezium-exporter.rules.yml unchanged has `DebeziumConnectorStuck`
//! pending, and `debezium-exporter check` exits 1 naming the connector and the runbook's
//! step 1 (read the logs).
//!
//! What this stack (Connect 3.9, Debezium 3.1.1) does next, asserted as seen: Debezium notices
//! the stop ≈ 8 s later (when it next writes to the replication stream), logs "Retry 1 of
//! unlimited retries" and restarts itself `retriable.restart.connector.wait.ms` later (10 s by
//! default; [`RETRY_WAIT`] here, so that `check` surely runs while the task is still RUNNING);
//! that restart cannot connect either ("Couldn't obtain encoding for database"), which Debezium
//! does not retry, so the task goes FAILED under a RUNNING connector (`DebeziumTaskFailed`
//! pending, the stuck alert still pending beside it). It does not "retry forever". Once
//! PostgreSQL is back the FAILED task stays FAILED and its slot inactive
//! (`ReplicationSlotInactive` pending) until the runbook's step 2 restarts it; then it streams
//! again and every alert of the outage clears.
//!
//! The shared stack's PostgreSQL serves every other test, so this test stops a PostgreSQL 15
//! of its own (initdb'd into a temporary directory, on a free port, with a scram login role
//! for Debezium, an outbox table and a publication); the connector runs on the shared Connect
//! worker. Every name starts with `e2e2b-`/`e2e2b_` and the process id; the connector routes
//! its events to topics of its own. A guard deletes the connector and its topics, stops the
//! server and removes its directory, whether the test passes or not.

use crate::common;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::Value;

use common::alerting::{Alert, Alerting};
use common::kafka::{bootstrap, read_keys};
use common::local_postgres::{as_postgres, give_to_postgres, run};
use common::{Connect, Exporter, connector_states, env_or, free_port, outbox_connector, run_check};

/// The `cluster` label of the Connect and Jolokia sources, and the `db` label of the private
/// PostgreSQL.
const CLUSTER: &str = "e2e2b";
/// A new connector runs ≈ 11 s after its POST on the test broker (two group rebalances).
const PATIENCE: Duration = Duration::from_secs(90);
/// How long Debezium waits before its retry (`retriable.restart.connector.wait.ms`, 10 s by
/// default): the window in which the task is RUNNING but stuck and `check` must say step 1.
/// Longer than the default so that a loaded machine cannot close it before `check` runs.
const RETRY_WAIT: Duration = Duration::from_secs(30);
/// The runbook step `check` must name (a docs/runbook.md anchor) while the task is RUNNING but
/// stuck: read the logs. Once it is FAILED, the finding names the cause instead (below).
const STEP_1: &str = "s1-step-1-logs";
/// The `aggregatetype` of our outbox rows.
const AGGREGATE: &str = "order";
/// The exporter reads the private server's DSN, password included, from this variable.
const DSN_VARIABLE: &str = "E2E2B_SCENARIO_DSN";
/// The password of the private server's Debezium role.
const PASSWORD: &str = "e2e2b-secret-pw";
/// The private server's database, role and outbox table.
const DATABASE: &str = "postgres";
const ROLE: &str = "e2e2b_debezium";
const TABLE: &str = "public.e2e2b_outbox";

/// Every name on the shared stack this test creates, unique to this run.
type Names = common::PipelineNames;

impl Names {
    /// Where the connector's EventRouter publishes our rows: a topic of this test only.
    fn event_topic(&self) -> String {
        format!("{}.outbox.event.{AGGREGATE}", self.connector)
    }
}

/// A PostgreSQL 15 of this test: `initdb` into a temporary directory, listening on 127.0.0.1
/// on a free port (password logins over TCP) and on a socket in its directory (the superuser,
/// trusted).
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    fn bindir() -> PathBuf {
        PathBuf::from(env_or("PG_BIN", "/usr/lib/postgresql/15/bin"))
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Creates the cluster (not started yet).
    fn init() -> Self {
        let dir = tempfile::Builder::new().prefix("e2e2b-pg-").tempdir().unwrap();
        give_to_postgres(dir.path());
        let server = PrivatePostgres { dir, port: free_port() };
        run(as_postgres(&Self::bindir().join("initdb"))
            .args(["--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres", "-D"])
            .arg(server.data()));
        let conf = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nwal_level = logical\n\
             max_wal_senders = 4\nmax_replication_slots = 4\nfsync = off\n",
            server.port,
            server.dir.path().display()
        );
        std::fs::write(server.data().join("postgresql.auto.conf"), conf).unwrap();
        server
    }

    fn pg_ctl(&self, action: &str) {
        run(as_postgres(&Self::bindir().join("pg_ctl"))
            .args([action, "-w", "-m", "fast", "-D"])
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log")));
    }

    /// Runs SQL as the superuser over the server's socket; panics with psql's error.
    fn psql(&self, sql: &str) -> String {
        let output = Command::new("psql")
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", DATABASE, "-c", sql])
            .output()
            .expect("psql runs");
        assert!(output.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// The role Debezium and the exporter log in with (scram over TCP), the outbox table with
    /// the shared stack's columns, and the connector's publication.
    fn create_schema(&self, names: &Names) {
        self.psql(&format!(
            "CREATE ROLE {ROLE} LOGIN REPLICATION PASSWORD '{PASSWORD}'; GRANT pg_monitor TO {ROLE}; \
             CREATE TABLE {TABLE} (id uuid PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL, \
             type text NOT NULL, payload jsonb, created_at timestamptz NOT NULL DEFAULT now()); \
             ALTER TABLE {TABLE} OWNER TO {ROLE}; CREATE PUBLICATION {} FOR TABLE {TABLE}",
            names.publication
        ));
    }

    fn insert_row(&self, key: &str) {
        self.psql(&format!(
            "INSERT INTO {TABLE} (id, aggregatetype, aggregateid, type, payload) \
             VALUES (gen_random_uuid(), '{AGGREGATE}', '{key}', 'OrderCreated', '{{\"total\": 42}}')"
        ));
    }

    /// The slot's `active`, as PostgreSQL says.
    fn slot_active(&self, slot: &str) -> String {
        self.psql(&format!("SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'")).trim().to_owned()
    }

    fn dsn(&self) -> String {
        format!("host=127.0.0.1 port={} dbname={DATABASE} user={ROLE} password={PASSWORD} sslmode=disable", self.port)
    }
}

/// What this test creates; dropping it deletes the connector and its topics, stops the server
/// and removes its directory, also when an assertion failed half-way.
struct Incident {
    names: Names,
    server: PrivatePostgres,
    connect_url: String,
}

impl Drop for Incident {
    fn drop(&mut self) {
        // The connector first, so that nothing retries against a server that goes away.
        let url = format!("{}/connectors/{}", self.connect_url, self.names.connector);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let output = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "70", "-X", "DELETE", &url])
                .output();
            let status = output.map(|output| String::from_utf8_lossy(&output.stdout).into_owned()).unwrap_or_default();
            match status.as_str() {
                "204" | "404" => break,
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(500)),
                _ => {
                    eprintln!("cleanup: DELETE {url} answered {status:?}");
                    break;
                }
            }
        }
        let stopped = as_postgres(&PrivatePostgres::bindir().join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.server.data())
            .output();
        match stopped {
            // Already stopped (a failure half-way through the outage) is fine.
            Ok(output)
                if output.status.success()
                    || String::from_utf8_lossy(&output.stderr).contains("Is server running?") => {}
            Ok(output) => eprintln!("cleanup: pg_ctl stop: {}", String::from_utf8_lossy(&output.stderr)),
            Err(error) => eprintln!("cleanup: pg_ctl stop: {error}"),
        }
        let prefix = format!("{}.", self.names.connector);
        match delete_topics_where(|name| name.starts_with(&prefix)) {
            Ok(errors) => errors.iter().for_each(|error| eprintln!("cleanup: deleting {error}")),
            Err(error) => eprintln!("cleanup: deleting our topics: {error}"),
        }
        // The server's directory goes with `server.dir` after this.
    }
}

/// Deletes the topics whose name `wanted` holds; returns the per-topic errors.
fn delete_topics_where(wanted: impl Fn(&str) -> bool) -> rdkafka::error::KafkaResult<Vec<String>> {
    let consumer: BaseConsumer = ClientConfig::new().set("bootstrap.servers", bootstrap()).create()?;
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(10))?;
    let topics: Vec<String> =
        metadata.topics().iter().map(|topic| topic.name().to_owned()).filter(|name| wanted(name)).collect();
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap()).create()?;
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = futures::executor::block_on(admin.delete_topics(&topics, &options))?;
    Ok(results.into_iter().filter_map(Result::err).map(|(topic, error)| format!("{topic}: {error}")).collect())
}

/// Connect, Jolokia (the shared worker's) and the private PostgreSQL, polled every second.
fn exporter_config(connect_url: &str) -> String {
    format!(
        "poll:\n  interval: 1s\n\
         sources:\n  \
         connect:\n    - name: {CLUSTER}\n      url: {connect_url}\n  \
         jolokia:\n    - name: {CLUSTER}\n      url: http://127.0.0.1:{}/jolokia\n  \
         postgres:\n    - name: {CLUSTER}\n      dsn: ${{{DSN_VARIABLE}}}\n",
        env_or("JOLOKIA_PORT", "8778")
    )
}

/// The findings of `check --output json` whose subject names `connector`.
fn findings_of(json: &str, connector: &str) -> Vec<Value> {
    let report: Value = serde_json::from_str(json).unwrap_or_else(|error| panic!("{error}: {json}"));
    let subject = format!("connect {CLUSTER} / connector {connector}");
    let findings = report["findings"].as_array().expect("findings").iter();
    findings.filter(|finding| finding["subject"].as_str().is_some_and(|s| s.starts_with(&subject))).cloned().collect()
}

/// Every (connector, task) state pair Connect reported, with how often it was seen.
#[derive(Default)]
struct StatesSeen(BTreeMap<(String, String), usize>);

impl StatesSeen {
    async fn sample(&mut self, connect_url: &str, connector: &str) -> (String, String) {
        let pair = connector_states(connect_url, connector).await;
        *self.0.entry(pair.clone()).or_default() += 1;
        pair
    }
}

impl std::fmt::Display for StatesSeen {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seen: Vec<String> =
            self.0.iter().map(|((connector, task), count)| format!("{connector}/{task} ×{count}")).collect();
        write!(formatter, "{}", seen.join(", "))
    }
}

/// The whole incident on one private PostgreSQL, the shared Connect worker, an exporter and a
/// Prometheus; the guard removes what it created whether the scenario passes or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real stack (scripts/test)"]
async fn stopped_postgres_leaves_the_connector_running_but_stuck_until_step_2() {
    let _room = common::room::enter(module_path!());
    let started = Instant::now();
    let names = Names::named("e2e2b", "outbox");
    let server = PrivatePostgres::init();
    let connect = Connect::new();
    let incident = Incident { names, server, connect_url: connect.url.clone() };
    incident.server.pg_ctl("start");
    incident.server.create_schema(&incident.names);
    // SAFETY: set before any thread of ours reads the environment; only the exporter and
    // `check` children read it.
    unsafe { std::env::set_var(DSN_VARIABLE, incident.server.dsn()) };

    let names = &incident.names;
    let mut connector = outbox_connector(&names.connector, &names.slot, &names.publication);
    let settings = [
        ("database.port", incident.server.port.to_string()),
        ("database.user", ROLE.to_owned()),
        ("database.password", PASSWORD.to_owned()),
        ("database.dbname", DATABASE.to_owned()),
        ("table.include.list", TABLE.to_owned()),
        ("transforms.outbox.route.topic.replacement", format!("{}.outbox.event.${{routedByValue}}", names.connector)),
        ("retriable.restart.connector.wait.ms", RETRY_WAIT.as_millis().to_string()),
    ];
    for (key, value) in settings {
        connector["config"][key] = value.into();
    }
    connect.create(&connector).await;

    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("exporter.yml");
    std::fs::write(&config, exporter_config(&connect.url)).unwrap();
    let exporter = Exporter::start(&["--config.file", config.to_str().unwrap()]);
    let alerting = Alerting::start(exporter.base.trim_start_matches("http://")).await;

    let outcome = AssertUnwindSafe(postgres_down(&incident, &exporter, &alerting, &config)).catch_unwind().await;
    if let Err(panic) = outcome {
        eprintln!("exporter log:\n{}\n{}", exporter.log(), alerting.logs());
        std::panic::resume_unwind(panic);
    }
    drop(incident);
    eprintln!("scenario 2b wall time: {:.1?}", started.elapsed());
}

/// The task's trace as Connect's REST API reports it (empty unless FAILED).
async fn task_trace(connect_url: &str, connector: &str) -> String {
    let status: Value =
        reqwest::get(format!("{connect_url}/connectors/{connector}/status")).await.unwrap().json().await.unwrap();
    status["tasks"][0]["trace"].as_str().unwrap_or_default().to_owned()
}

/// Connect's (connector, task) states of a healthy pipeline.
fn running() -> (String, String) {
    ("RUNNING".to_owned(), "RUNNING".to_owned())
}

/// Healthy; PostgreSQL stopped: Debezium notices and retries under a RUNNING task (the alert,
/// `check`), then fails the task when its restart cannot connect; PostgreSQL started again:
/// the FAILED task stays FAILED and the slot inactive until the runbook's step 2 restarts it.
async fn postgres_down(incident: &Incident, exporter: &Exporter, alerting: &Alerting, config: &Path) {
    let (names, server, connect_url) = (&incident.names, &incident.server, incident.connect_url.as_str());
    let began = Instant::now();
    let connector = names.connector.as_str();
    let slot = names.slot.as_str();
    let of_connector = [("cluster", CLUSTER), ("connector", connector)];
    let postgres_up = [("source", "postgres"), ("target", CLUSTER)];
    let ours = |alert: &Alert| {
        alert.label("connector") == Some(connector)
            || alert.label("slot") == Some(slot)
            || alert.label("target") == Some(CLUSTER)
            || alert.name() == "DebeziumExporterAbsent"
    };
    let named =
        |name: &'static str| move |alert: &Alert| alert.name() == name && alert.has(&[("connector", connector)]);
    let stuck = named("DebeziumConnectorStuck");
    let task_failed = named("DebeziumTaskFailed");
    let disconnected = named("DebeziumSourceDisconnected");
    let slot_inactive = |alert: &Alert| alert.name() == "ReplicationSlotInactive" && alert.has(&[("slot", slot)]);
    let postgres_down = |alert: &Alert| alert.name() == "DebeziumExporterSourceDown" && alert.has(&postgres_up);
    let streaming_now = format!("debezium_connector_streaming{{cluster=\"{CLUSTER}\",connector=\"{connector}\"}} == 1");

    // Healthy: streaming (a row published), no alert of ours, `check` says nothing of ours.
    alerting.wait_for_query(&streaming_now, PATIENCE, |result| result.len() == 1).await;
    server.insert_row("before");
    let topic = names.event_topic();
    tokio::task::block_in_place(|| read_keys(&topic, &BTreeSet::from(["before".to_owned()]), PATIENCE));
    let scrape = common::Exposition(exporter.metrics().await);
    assert_eq!(scrape.value("debezium_exporter_source_up", &postgres_up), Some(1.0));
    assert_eq!(scrape.value("pg_replication_slot_active", &[("slot", slot)]), Some(1.0));
    let mut seen = StatesSeen::default();
    assert_eq!(seen.sample(connect_url, connector).await, running());
    // The task is RUNNING a little before Debezium streams, so the stuck alert and the slot's
    // may have gone pending at start-up; Prometheus drops them at its first evaluation that
    // sees the stream, which can trail the query above on a loaded machine.
    let starting_up = |alert: &Alert| stuck(alert) || slot_inactive(alert);
    alerting.wait_for_prometheus("start-up over", PATIENCE, |alerts| !alerts.iter().any(starting_up)).await;
    let early: Vec<Alert> = alerting.prometheus_alerts().await.into_iter().filter(|alert| ours(alert)).collect();
    assert!(early.is_empty(), "alerts while healthy: {early:#?}");
    let (_, json) = run_check(config, &["--output", "json"]);
    assert_eq!(findings_of(&json, connector), Vec::<Value>::new(), "check while healthy: {json}");
    eprintln!("healthy {:.1?} after Prometheus started: streaming, row 'before' published", began.elapsed());

    // PostgreSQL stopped. Debezium notices when it next writes to the replication stream.
    let stopped_at = Instant::now();
    server.pg_ctl("stop");
    let deadline = stopped_at + PATIENCE;
    let noticed = loop {
        let states = seen.sample(connect_url, connector).await;
        let scrape = common::Exposition(exporter.metrics().await);
        if scrape.value("debezium_connector_streaming", &of_connector) == Some(0.0) {
            break (stopped_at.elapsed(), states);
        }
        assert!(Instant::now() < deadline, "still streaming {PATIENCE:?} after the stop:\n{}", scrape.0);
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("Debezium noticed (debezium_connector_streaming 0) {:.1?} after the stop", noticed.0);
    // Debezium retries after `retriable.restart.connector.wait.ms` (RETRY_WAIT): meanwhile Connect
    // reports nothing wrong, and `check` names the connector with the runbook's step 1.
    assert_eq!(noticed.1, running(), "Connect's states when Debezium noticed");
    let (code, text) = run_check(config, &[]);
    let after_check = seen.sample(connect_url, connector).await;
    eprintln!("check while retrying, {:.1?} after the stop (exit {code}):\n{text}", stopped_at.elapsed());
    assert_eq!(after_check, running(), "Connect's states while Debezium retries (check ran meanwhile)");
    assert_eq!(code, 1, "{text}");
    let block = text
        .split("\n\n")
        .find(|block| block.contains(&format!("CRITICAL  connect {CLUSTER} / connector {connector}\n")))
        .unwrap_or_else(|| panic!("check does not name {connector}:\n{text}"));
    assert!(block.contains("Connect reports RUNNING but Debezium is not streaming"), "{block}");
    assert!(block.contains(&format!("grep -F -- '{connector}' <connect worker log>")), "{block}");
    assert!(block.contains(&format!("runbook: docs/runbook.md#{STEP_1}")), "{block}");
    assert!(text.contains(&format!("DOWN  postgres {CLUSTER}: ")), "{text}");
    let scrape = exporter
        .wait_for("the private PostgreSQL source down", PATIENCE, |scrape| {
            scrape.value("debezium_exporter_source_up", &postgres_up) == Some(0.0)
        })
        .await;
    assert_eq!(scrape.value("pg_replication_slot_active", &[("slot", slot)]), None, "no samples while down");
    let alerts = alerting
        .wait_for_prometheus("DebeziumConnectorStuck pending", PATIENCE, |alerts| alerts.iter().any(stuck))
        .await;
    let alert_after = stopped_at.elapsed();
    let alert = alerts.iter().find(|alert| stuck(alert)).unwrap();
    // `for: 5m` as shipped: pending here.
    assert_eq!(alert.state(), "pending", "{alert:#?}");
    assert!(alert.has(&[("cluster", CLUSTER), ("severity", "critical"), ("job", common::alerting::JOB)]), "{alert:#?}");
    assert_eq!(
        alert.annotation("summary"),
        Some(format!("Debezium 커넥터가 RUNNING이지만 스트리밍하지 않음 ({connector})").as_str())
    );
    eprintln!("DebeziumConnectorStuck pending {alert_after:.1?} after the stop");

    // Debezium's restart after the wait cannot connect either, and that failure is not
    // retried: the task goes FAILED under a RUNNING connector.
    let failed_at = loop {
        let states = seen.sample(connect_url, connector).await;
        if states.1 == "FAILED" {
            assert_eq!(states.0, "RUNNING", "the connector stays RUNNING");
            break stopped_at.elapsed();
        }
        assert_eq!(states, running(), "Connect's states while Debezium retries");
        assert!(Instant::now() < deadline, "the task never failed; Connect's states seen: {seen}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let trace = task_trace(connect_url, connector).await;
    eprintln!("task FAILED {failed_at:.1?} after the stop: {}", trace.lines().next().unwrap_or_default());
    assert!(trace.contains("Connection to 127.0.0.1:") && trace.contains("refused"), "{trace}");
    let alerts = alerting
        .wait_for_prometheus("DebeziumTaskFailed pending", PATIENCE, |alerts| alerts.iter().any(task_failed))
        .await;
    // The connector is still RUNNING and still not streaming: the stuck alert stays pending
    // beside the task alert (Alertmanager mutes it behind DebeziumTaskFailed).
    assert!(alerts.iter().any(stuck), "{alerts:#?}");
    let expected_while_down =
        |alert: &Alert| stuck(alert) || task_failed(alert) || disconnected(alert) || postgres_down(alert);
    let unexpected: Vec<&Alert> = alerts.iter().filter(|alert| ours(alert) && !expected_while_down(alert)).collect();
    assert!(unexpected.is_empty(), "alerts that should be quiet while PostgreSQL is down: {unexpected:#?}");
    let (code, json) = run_check(config, &["--output", "json"]);
    assert_eq!(code, 1, "{json}");
    let findings = findings_of(&json, connector);
    let subjects: Vec<&str> = findings.iter().filter_map(|finding| finding["subject"].as_str()).collect();
    assert_eq!(subjects, [format!("connect {CLUSTER} / connector {connector} / task 0")], "{json}");
    // The trace names the refused connection: the finding links that cause's section, and its
    // last action is the restart of runbook step 2, which is all it takes once PostgreSQL is back.
    assert_eq!(findings[0]["runbook"], "cause-database_unreachable", "{json}");
    let actions = findings[0]["actions"].to_string();
    assert!(actions.contains("(runbook step 2)") && actions.contains("onlyFailed=true"), "{json}");
    eprintln!("Connect's states while PostgreSQL was down ({:.1?}): {seen}", stopped_at.elapsed());

    // PostgreSQL started again. Nothing restarts a FAILED task: it stays FAILED and the slot,
    // back in view, is inactive.
    let restarted_at = Instant::now();
    server.pg_ctl("start");
    let mut after_start = StatesSeen::default();
    let scrape = exporter
        .wait_for("the private PostgreSQL source up again", PATIENCE, |scrape| {
            scrape.value("debezium_exporter_source_up", &postgres_up) == Some(1.0)
        })
        .await;
    // The exporter reconnects with an exponential backoff: up to its cap after an outage.
    eprintln!("the exporter polled PostgreSQL again {:.1?} after it came back", restarted_at.elapsed());
    assert_eq!(scrape.value("pg_replication_slot_active", &[("slot", slot)]), Some(0.0));
    assert_eq!(scrape.value("debezium_connector_streaming", &of_connector), Some(0.0));
    let alerts = alerting
        .wait_for_prometheus("ReplicationSlotInactive pending", PATIENCE, |alerts| alerts.iter().any(slot_inactive))
        .await;
    let slot_alert = alerts.iter().find(|alert| slot_inactive(alert)).unwrap();
    assert!(slot_alert.has(&[("cluster", CLUSTER), ("connector", connector), ("db", CLUSTER)]), "{slot_alert:#?}");
    eprintln!("ReplicationSlotInactive pending {:.1?} after PostgreSQL came back", restarted_at.elapsed());
    // At least two of Debezium's retry intervals: a task that could recover by itself would have.
    let watched_until = restarted_at + Duration::from_secs(20);
    loop {
        let states = after_start.sample(connect_url, connector).await;
        assert_eq!(states, ("RUNNING".to_owned(), "FAILED".to_owned()), "after PostgreSQL came back");
        if Instant::now() >= watched_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(server.slot_active(slot), "f");
    eprintln!("Connect's states in the {:.1?} after PostgreSQL came back: {after_start}", restarted_at.elapsed());

    // The runbook's step 2: restart the failed task. It streams again, and everything clears.
    let restart = format!("{connect_url}/connectors/{connector}/restart?includeTasks=true&onlyFailed=true");
    let restart_at = Instant::now();
    let status = reqwest::Client::new().post(&restart).send().await.unwrap().status().as_u16();
    assert!(matches!(status, 202 | 204), "POST {restart}: {status}");
    let mut recovery = StatesSeen::default();
    let recovered = loop {
        recovery.sample(connect_url, connector).await;
        let scrape = common::Exposition(exporter.metrics().await);
        if scrape.value("debezium_connector_streaming", &of_connector) == Some(1.0) {
            break restart_at.elapsed();
        }
        assert!(Instant::now() < restart_at + PATIENCE, "not streaming {PATIENCE:?} after step 2:\n{}", scrape.0);
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Connect may still say RESTARTING while Debezium already streams.
    while recovery.sample(connect_url, connector).await != running() {
        assert!(Instant::now() < restart_at + PATIENCE, "not RUNNING after step 2: {recovery}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("streaming again {recovered:.1?} after step 2's restart; Connect's states since: {recovery}");
    let outage = |alert: &Alert| expected_while_down(alert) || slot_inactive(alert);
    alerting.wait_for_prometheus("the outage's alerts cleared", PATIENCE, |alerts| !alerts.iter().any(outage)).await;
    eprintln!(
        "DebeziumConnectorStuck, DebeziumTaskFailed and ReplicationSlotInactive cleared {:.1?} after step 2",
        restart_at.elapsed()
    );
    exporter
        .wait_for("the slot active again", PATIENCE, |scrape| {
            scrape.value("pg_replication_slot_active", &[("slot", slot)]) == Some(1.0)
        })
        .await;
    server.insert_row("after");
    tokio::task::block_in_place(|| read_keys(&topic, &BTreeSet::from(["after".to_owned()]), PATIENCE));
    let (_, json) = run_check(config, &["--output", "json"]);
    assert_eq!(findings_of(&json, connector), Vec::<Value>::new(), "check after recovery: {json}");
    let unexpected: Vec<Alert> = alerting.prometheus_alerts().await.into_iter().filter(|alert| ours(alert)).collect();
    assert!(unexpected.is_empty(), "alerts after recovery: {unexpected:#?}");
    eprintln!("row 'after' published; {:.1?} from the stop to a healthy pipeline", stopped_at.elapsed());
}
