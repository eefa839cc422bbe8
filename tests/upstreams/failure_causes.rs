//! Issue 14, part 1 on the real stack: each failure cause the stack can produce is produced for
//! real, and the exporter names it in `kafka_connect_task_failure_cause` (its traces are the
//! fixtures of sources/connect/cause.rs, tests/fixtures/connect/traces). `check` prints the fix
//! with the pipeline's names: the process holding a slot, the statement for a missing
//! publication.
//!
//! Every name starts with `fc-`/`fc_`; each test removes what it created first (left over from
//! an interrupted run) and last. One test stops the stack's PostgreSQL, so it takes the
//! module's [`POSTGRES`] lock alone while the others share it.
//!
//! Not produced here (derived fixtures instead): `slot_missing` (Debezium creates a missing
//! slot), `slot_invalidated` (Debezium 3.1.1 waits 900 × 2 s for a lost slot before it fails),
//! `offset_commit` (deleted internal topics leave the task RUNNING on this stack).

use crate::common;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::sync::RwLock;

use common::local_postgres::as_postgres;
use common::{Connect, Exporter, env_or, outbox_connector, psql_admin, run_check, try_psql_admin};

/// A new connector runs ≈ 11 s after its POST; Debezium's own retries add to a failure.
const PATIENCE: Duration = Duration::from_secs(120);

/// Shared by the tests that need PostgreSQL up, taken alone by the one that stops it.
static POSTGRES: RwLock<()> = RwLock::const_new(());

fn cause(exporter: &Exporter, connector: &str) -> impl std::future::Future<Output = String> {
    let connector = connector.to_owned();
    async move {
        let seen = exporter
            .wait_for(&format!("a failure cause for {connector}"), PATIENCE, |e| {
                !e.series("kafka_connect_task_failure_cause", &[("connector", &connector)]).is_empty()
            })
            .await;
        let series = seen.series("kafka_connect_task_failure_cause", &[("connector", &connector)]);
        assert_eq!(series.len(), 1, "{series:?}");
        assert_eq!(series[0].1, 1.0);
        let labels = &series[0].0;
        let start = labels.find("cause=\"").expect("a cause label") + 7;
        labels[start..].split('"').next().unwrap().to_owned()
    }
}

fn exporter() -> Exporter {
    Exporter::start(&["--connect.url", &format!("stack={}", common::connect_url()), "--poll.interval", "1s"])
}

/// The outbox connector with `settings` added.
fn connector(name: &str, slot: &str, publication: &str, settings: &[(&str, &str)]) -> serde_json::Value {
    let mut config = outbox_connector(name, slot, publication);
    for (key, value) in settings {
        config["config"][key] = (*value).into();
    }
    config
}

fn slot_active(slot: &str) -> bool {
    psql_admin(&format!("SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'")).trim() == "t"
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn running(connect: &Connect, name: &str) {
    let url = connect.url.clone();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (connector, task) = common::connector_states(&url, name).await;
        if connector == "RUNNING" && task == "RUNNING" {
            return;
        }
        assert!(Instant::now() < deadline, "{name} not RUNNING: {connector} {task}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn insert_row(payload: &str) {
    psql_admin(&format!(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload) \
         VALUES (gen_random_uuid(), 'fc', 'fc-1', 'created', '{{\"x\": \"{payload}\"}}')"
    ));
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_missing_publication_is_named_and_check_prints_the_create_statement() {
    let _room = common::room::enter(module_path!());
    let _postgres = POSTGRES.read().await;
    let (name, slot) = ("fc-publication", "fc_publication");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    let exporter = exporter();
    connect.create(&connector(name, slot, "fc_no_such_publication", &[])).await;
    assert_eq!(cause(&exporter, name).await, "publication_missing");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, format!("sources:\n  connect:\n    - name: stack\n      url: {}\n", connect.url)).unwrap();
    let (code, text) = run_check(&config, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("cause publication_missing"), "{text}");
    let create = r#"psql -d 'inventory' -c 'CREATE PUBLICATION "fc_no_such_publication" FOR TABLE "public"."outbox"'"#;
    assert!(text.contains(create), "{text}");
    assert!(text.contains("runbook: docs/runbook.md#cause-publication_missing"), "{text}");
    connect.remove(name, slot).await;
}

/// A role whose password is rotated (authentication) and one that loses REPLICATION: each
/// connector runs first, then its task is restarted under the change.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_rotated_password_and_a_revoked_replication_are_named() {
    let _room = common::room::enter(module_path!());
    let _postgres = POSTGRES.read().await;
    let connect = Connect::new();
    let cases = [("fc-auth", "fc_auth", "fc_rotated"), ("fc-norepl", "fc_norepl", "fc_norepl")];
    for (name, slot, role) in cases {
        connect.remove(name, slot).await;
        drop_role(role);
        psql_admin(&format!(
            "CREATE ROLE {role} LOGIN REPLICATION PASSWORD 'fc-pw-1'; GRANT SELECT ON public.outbox TO {role}"
        ));
        let settings = [("database.user", role), ("database.password", "fc-pw-1"), ("errors.max.retries", "1")];
        connect.create(&connector(name, slot, &env_or("PG_PUBLICATION", "dbz_publication"), &settings)).await;
    }
    for (name, _, _) in cases {
        running(&connect, name).await;
    }
    let exporter = exporter();
    psql_admin("ALTER ROLE fc_rotated PASSWORD 'fc-pw-2'");
    psql_admin("ALTER ROLE fc_norepl NOREPLICATION");
    for (name, _, _) in cases {
        assert!(matches!(connect.call(Method::POST, &format!("{name}/tasks/0/restart")).await, 202 | 204));
    }
    assert_eq!(cause(&exporter, "fc-auth").await, "authentication");
    assert_eq!(cause(&exporter, "fc-norepl").await, "replication_permission");
    for (name, slot, role) in cases {
        connect.remove(name, slot).await;
        drop_role(role);
    }
}

/// Drops `role` and its grant, if it exists (left over from an interrupted run).
fn drop_role(role: &str) {
    if psql_admin(&format!("SELECT 1 FROM pg_roles WHERE rolname = '{role}'")).trim() == "1" {
        psql_admin(&format!("REVOKE ALL ON public.outbox FROM {role}; DROP ROLE {role}"));
    }
}

/// A `pg_recvlogical` started first holds the slot; `check`, with the PostgreSQL source beside
/// Connect, names its process id (the slot's `active_pid`).
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_slot_held_by_pg_recvlogical_is_named_with_its_process() {
    let _room = common::room::enter(module_path!());
    let _postgres = POSTGRES.read().await;
    let (name, slot) = ("fc-inuse", "fc_inuse");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    let publication = env_or("PG_PUBLICATION", "dbz_publication");
    let holder = RecvLogical::start(slot, &publication);
    wait_until("pg_recvlogical holding the slot", || slot_active(slot)).await;
    let pid = psql_admin(&format!("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{slot}'"));
    let pid = pid.trim().to_owned();

    let exporter = exporter();
    // Debezium's slot retries (6 × 10 s by default) and its own restart loop, shortened.
    let settings = [("errors.max.retries", "0"), ("slot.max.retries", "1"), ("slot.retry.delay.ms", "1000")];
    connect.create(&connector(name, slot, &publication, &settings)).await;
    assert_eq!(cause(&exporter, name).await, "slot_in_use");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "sources:\n  connect:\n    - name: stack\n      url: {}\n  postgres:\n    - name: inventory\n      dsn: \"{}\"\n",
            connect.url,
            common::exporter_dsn()
        ),
    )
    .unwrap();
    let (code, text) = run_check(&config, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("cause slot_in_use"), "{text}");
    assert!(text.contains(&format!("held by process {pid}")), "pid {pid} not named:\n{text}");
    assert!(text.contains(&format!("pg_stat_replication WHERE pid = {pid}")), "{text}");
    assert!(!text.contains(&common::pg_password()), "the password must never be printed");

    drop(holder);
    connect.remove(name, slot).await;
}

/// The outbox EventRouter with `table.op.invalid.behavior=fatal` and `errors.tolerance=none`
/// fed an UPDATE, which its contract (insert-only) forbids.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn an_update_the_event_router_rejects_is_a_transform_error() {
    let _room = common::room::enter(module_path!());
    let _postgres = POSTGRES.read().await;
    let (name, slot) = ("fc-transform", "fc_transform");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    let exporter = exporter();
    let settings = [("errors.tolerance", "none"), ("transforms.outbox.table.op.invalid.behavior", "fatal")];
    connect.create(&connector(name, slot, &env_or("PG_PUBLICATION", "dbz_publication"), &settings)).await;
    running(&connect, name).await;
    // Streaming once the slot is taken: the UPDATE is then read from it.
    wait_until("the connector streaming from its slot", || slot_active(slot)).await;
    insert_row("transform");
    psql_admin("UPDATE outbox SET type = 'updated' WHERE aggregateid = 'fc-1'");
    assert_eq!(cause(&exporter, name).await, "transform_error");
    connect.remove(name, slot).await;
}

/// A record larger than the producer may send (`producer.override.max.request.size`).
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_record_kafka_refuses_is_a_produce_error() {
    let _room = common::room::enter(module_path!());
    let _postgres = POSTGRES.read().await;
    let (name, slot) = ("fc-produce", "fc_produce");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    let exporter = exporter();
    let settings = [("producer.override.max.request.size", "200")];
    connect.create(&connector(name, slot, &env_or("PG_PUBLICATION", "dbz_publication"), &settings)).await;
    running(&connect, name).await;
    wait_until("the connector streaming from its slot", || slot_active(slot)).await;
    insert_row(&"a".repeat(400));
    assert_eq!(cause(&exporter, name).await, "kafka_produce");
    connect.remove(name, slot).await;
}

/// The stack's PostgreSQL stopped under a streaming connector until its task fails (≈ 17 s
/// on this stack: Debezium retries once after 10 s, then gives up), then started again.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn postgresql_stopped_until_the_task_fails_is_database_unreachable() {
    let _room = common::room::enter(module_path!());
    let _alone = POSTGRES.write().await;
    let (name, slot) = ("fc-down", "fc_down");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    let exporter = exporter();
    connect.create(&connector(name, slot, &env_or("PG_PUBLICATION", "dbz_publication"), &[])).await;
    running(&connect, name).await;
    wait_until("the connector streaming from its slot", || slot_active(slot)).await;

    let server = StackPostgres;
    server.pg_ctl("stop");
    let seen = cause(&exporter, name).await;
    server.pg_ctl("start");
    assert_eq!(seen, "database_unreachable");
    wait_until("PostgreSQL back", || try_psql_admin("SELECT 1").is_ok()).await;
    connect.remove(name, slot).await;
}

/// The stack's PostgreSQL, stopped and started with `pg_ctl`; dropped, it is started again
/// (a failed assertion must not leave the stack without a database).
struct StackPostgres;

impl StackPostgres {
    fn pg_ctl(&self, action: &str) {
        let bin = std::path::PathBuf::from(env_or("PG_BIN", "/usr/lib/postgresql/15/bin"));
        let data = env_or("PG_DATA", &format!("{}/pg/data", env_or("STACK_RUN", "/tmp/debezium-exporter-stack")));
        let log = format!("{}/postgres.log", env_or("STACK_RUN", "/tmp/debezium-exporter-stack"));
        let mode: &[&str] = if action == "stop" { &["-m", "fast"] } else { &[] };
        let status = as_postgres(&bin.join("pg_ctl"))
            .args(["-D", &data, "-l", &log, "-w", "-t", "60"])
            .args(mode)
            .arg(action)
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "pg_ctl {action}");
    }
}

impl Drop for StackPostgres {
    fn drop(&mut self) {
        if try_psql_admin("SELECT 1").is_err() {
            self.pg_ctl("start");
        }
    }
}

/// `pg_recvlogical` streaming from `slot` (created for it, pgoutput), killed on drop.
struct RecvLogical(Child);

impl RecvLogical {
    fn start(slot: &str, publication: &str) -> RecvLogical {
        let bin = std::path::PathBuf::from(env_or("PG_BIN", "/usr/lib/postgresql/15/bin")).join("pg_recvlogical");
        let socket = env_or("PG_SOCKET_DIR", "/tmp/debezium-exporter-stack/pg/socket");
        let (port, user, database) =
            (env_or("PG_PORT", "5432"), env_or("PG_SUPERUSER", "postgres"), env_or("PG_DATABASE", "inventory"));
        let connection = ["-h", &socket, "-p", &port, "-U", &user, "-d", &database, "--slot", slot];
        let created = Command::new(&bin).args(connection).args(["--create-slot", "-P", "pgoutput"]).status();
        assert!(created.expect("pg_recvlogical runs").success(), "pg_recvlogical --create-slot {slot}");
        let child = Command::new(&bin)
            .args(connection)
            .args([
                "--start",
                "-o",
                "proto_version=1",
                "-o",
                &format!("publication_names={publication}"),
                "-f",
                "/dev/null",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pg_recvlogical starts");
        RecvLogical(child)
    }
}

impl Drop for RecvLogical {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
