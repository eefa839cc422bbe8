//! The PostgreSQL source against real PostgreSQL.
//!
//! Most tests use the stack's server (PG_PORT, PG_DATABASE; the exporter connects as PG_USER with
//! PG_PASSWORD, the test sets things up as PG_SUPERUSER, a superuser trusted over TCP from
//! 127.0.0.1). Each test works on its own uniquely named slot, table or publication and drops
//! them afterwards, so the tests can run next to others on the same server.
//!
//! Two tests need to do what must never happen to a shared server: make slots `lost` with a
//! tiny `max_slot_wal_keep_size` (it would invalidate an idle Debezium slot too) and stop
//! PostgreSQL. They start a private throwaway cluster from the binaries in PG_BINDIR
//! (default /usr/lib/postgresql/15/bin), as the `postgres` user when run as root.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use tokio_postgres::{Client, NoTls};

use common::free_port;
use common::local_postgres::{as_postgres, give_to_postgres, run};
use debezium_exporter::catalog::{self, Metric};
use debezium_exporter::config::{Config, PostgresConfig};
use debezium_exporter::join::{Facts, PublishedTopics};
use debezium_exporter::server::{self, AppState};
use debezium_exporter::snapshot::{Samples, Store};
use debezium_exporter::source::{self, Source};
use debezium_exporter::sources::postgres::{INDEXED_COLUMN, OutboxQueries, PostgresSource};

const DEADLINE: Duration = Duration::from_secs(60);

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn pg_port() -> u16 {
    env("PG_PORT", "5432").parse().expect("PG_PORT is a port number")
}

fn pg_db() -> String {
    env("PG_DATABASE", "inventory")
}

fn bindir() -> PathBuf {
    PathBuf::from(env("PG_BINDIR", "/usr/lib/postgresql/15/bin"))
}

/// A name no other test, run or process uses: `dbx_test_<what>_<pid>_<n>_<time>`.
fn unique(what: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("dbx_test_{what}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

async fn connect(port: u16, user: &str, db: &str) -> Client {
    let dsn = format!("host=127.0.0.1 port={port} user={user} dbname={db} application_name=debezium-exporter-tests");
    let (client, connection) = tokio_postgres::connect(&dsn, NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot connect as {user}: {error:?}"));
    tokio::spawn(connection);
    client
}

async fn admin() -> Client {
    connect(pg_port(), &env("PG_SUPERUSER", "postgres"), &pg_db()).await
}

/// The exporter's own configuration for the stack's database, plus `extra` YAML lines.
fn exporter_config(port: u16, user: &str, password: &str, db: &str, extra: &str) -> PostgresConfig {
    let yaml = format!(
        "sources:\n  postgres:\n    - name: {db}\n      dsn: \"host=127.0.0.1 port={port} user={user} password={password} dbname={db}\"\n{extra}"
    );
    Config::from_yaml(&yaml).expect("test config parses").sources.postgres.remove(0)
}

fn stack_source(extra: &str) -> PostgresSource {
    stack_source_seeing(extra, unshared())
}

/// A source that reads what a Kafka source published through `published`.
fn stack_source_seeing(extra: &str, published: Arc<PublishedTopics>) -> PostgresSource {
    let config =
        exporter_config(pg_port(), &env("PG_USER", "debezium"), &env("PG_PASSWORD", "dbz-secret-pw"), &pg_db(), extra);
    PostgresSource::new(&config, Duration::from_secs(5), published)
}

/// No Kafka source beside it.
fn unshared() -> Arc<PublishedTopics> {
    Arc::new(PublishedTopics::new(Duration::from_secs(60)))
}

/// Polls once and renders, as `/metrics` would.
async fn poll(source: &PostgresSource) -> Samples {
    let observation = source.poll().await.unwrap_or_else(|error| panic!("poll failed: {error}"));
    let mut samples = Samples::default();
    observation.render(source.target(), &Facts::default(), &mut samples);
    samples
}

/// The value of `metric` for the series whose label `label` is `value`.
fn value(samples: &Samples, metric: &'static Metric, label: &str, value: &str) -> Option<f64> {
    let index = metric.labels.iter().position(|name| *name == label).expect("metric has the label");
    samples.get(metric).iter().find(|(labels, _)| labels[index] == value).map(|(_, v)| *v)
}

fn slot_value(samples: &Samples, metric: &'static Metric, slot: &str) -> Option<f64> {
    value(samples, metric, "slot", slot)
}

/// Runs `body`, then `cleanup` whether or not it panicked.
async fn with_cleanup<B, C>(body: B, cleanup: C)
where
    B: std::future::Future<Output = ()>,
    C: std::future::Future<Output = ()>,
{
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    cleanup.await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn lag_by_server(client: &Client, slot: &str) -> i64 {
    client
        .query_one(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn inactive_slot_lag_equals_pg_wal_lsn_diff() {
    let _room = common::room::enter(module_path!());
    let admin = admin().await;
    let slot = unique("lag");
    admin.execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", &[&slot]).await.unwrap();
    let source = stack_source("");
    with_cleanup(
        async {
            // 200 kB of WAL that the (never started) consumer does not confirm.
            for _ in 0..20 {
                admin
                    .execute("SELECT pg_logical_emit_message(true, 'dbx-test', repeat('x', 10000))", &[])
                    .await
                    .unwrap();
            }
            let before = lag_by_server(&admin, &slot).await;
            let samples = poll(&source).await;
            let after = lag_by_server(&admin, &slot).await;
            let lag = slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, &slot).expect("inactive slot has lag")
                as i64;
            assert!(before >= 200_000, "the server saw {before} bytes of lag");
            // Other tests may write WAL meanwhile; without them before == lag == after.
            assert!(before <= lag && lag <= after, "exporter {lag}, server {before}..{after}");
            assert_eq!(slot_value(&samples, &catalog::REPLICATION_SLOT_ACTIVE, &slot), Some(0.0));
            let retained = slot_value(&samples, &catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES, &slot).unwrap();
            assert!(retained >= lag as f64, "restart_lsn is never after confirmed_flush_lsn");
            let status = value(&samples, &catalog::REPLICATION_SLOT_WAL_STATUS, "status", "reserved");
            assert!(status.is_some(), "PostgreSQL 13+ reports wal_status");
            assert!(value(&samples, &catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES, "db", &pg_db()).is_some());
            assert!(samples.get(&catalog::WAL_CURRENT_LSN_BYTES)[0].1 > 0.0);

            admin.execute("SELECT pg_drop_replication_slot($1)", &[&slot]).await.unwrap();
            let samples = poll(&source).await;
            assert_eq!(
                slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, &slot),
                None,
                "dropped slots disappear"
            );
        },
        async {
            let _ = admin
                .execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
                    &[&slot],
                )
                .await;
        },
    )
    .await;
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn active_slot_lag_falls_while_pg_recvlogical_consumes() {
    let _room = common::room::enter(module_path!());
    let admin = admin().await;
    let slot = unique("active");
    let table = unique("events");
    let publication = unique("pub");
    admin
        .batch_execute(&format!(
            "CREATE TABLE public.{table} (id serial PRIMARY KEY, body text); CREATE PUBLICATION {publication} FOR TABLE public.{table}"
        ))
        .await
        .unwrap();
    admin.execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", &[&slot]).await.unwrap();
    let source = stack_source("");
    let consumer = std::sync::Mutex::new(None);
    with_cleanup(
        async {
            admin
                .execute(
                    &format!(
                        "INSERT INTO public.{table} (body) SELECT repeat('y', 1000) FROM generate_series(1, 2000)"
                    ),
                    &[],
                )
                .await
                .unwrap();
            let samples = poll(&source).await;
            let initial = slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, &slot).unwrap();
            assert!(initial > 2_000_000.0, "2 MB written, lag {initial}");

            *consumer.lock().unwrap() = Some(
                Command::new(bindir().join("pg_recvlogical"))
                    .args(["--start", "--no-loop", "--status-interval=1", "--fsync-interval=1", "-f", "/dev/null"])
                    .args(["-h", "127.0.0.1", "-p", &pg_port().to_string(), "-U", &env("PG_SUPERUSER", "postgres")])
                    .args(["-d", &pg_db(), "-S", &slot, "-o", "proto_version=1", "-o"])
                    .arg(format!("publication_names={publication}"))
                    .spawn()
                    .expect("pg_recvlogical starts (PG_BINDIR)"),
            );
            let started = Instant::now();
            loop {
                let samples = poll(&source).await;
                let lag = slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, &slot).unwrap();
                let active = slot_value(&samples, &catalog::REPLICATION_SLOT_ACTIVE, &slot).unwrap();
                if active == 1.0 && lag < initial / 4.0 {
                    assert_eq!(slot_value(&samples, &catalog::REPLICATION_SLOT_INACTIVE_SECONDS, &slot), Some(0.0));
                    break;
                }
                assert!(started.elapsed() < DEADLINE, "lag stayed at {lag} (active {active}) from {initial}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        },
        async {
            let running = consumer.lock().unwrap().take();
            if let Some(mut consumer) = running {
                let _ = consumer.kill();
                let _ = consumer.wait();
            }
            // The walsender may take a moment to release the slot after its client is gone.
            let started = Instant::now();
            while admin
                .execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
                    &[&slot],
                )
                .await
                .is_err()
                && started.elapsed() < DEADLINE
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = admin
                .batch_execute(&format!(
                    "DROP PUBLICATION IF EXISTS {publication}; DROP TABLE IF EXISTS public.{table}"
                ))
                .await;
        },
    )
    .await;
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn outbox_rows_are_counted_up_to_the_cap_and_the_oldest_event_aged() {
    let _room = common::room::enter(module_path!());
    let admin = admin().await;
    let table = unique("outbox");
    let user = env("PG_USER", "debezium");
    admin
        .batch_execute(&format!(
            "CREATE TABLE public.{table} (id uuid PRIMARY KEY, aggregatetype text, aggregateid text, type text, payload jsonb, created_at timestamptz NOT NULL DEFAULT now());
             CREATE INDEX ON public.{table} (created_at);
             GRANT SELECT ON public.{table} TO \"{user}\";
             INSERT INTO public.{table} (id, aggregatetype, aggregateid, type, payload, created_at)
               SELECT gen_random_uuid(), 'order', n::text, 'created', '{{}}', now() - make_interval(secs => 3600 - n)
               FROM generate_series(0, 24) AS n;"
        ))
        .await
        .unwrap();
    with_cleanup(
        async {
            let capped = stack_source(&format!("      outbox:\n        - table: public.{table}\n          count_cap: 10\n"));
            let samples = poll(&capped).await;
            let label = format!("public.{table}");
            assert_eq!(value(&samples, &catalog::OUTBOX_TABLE_ROWS, "table", &label), Some(10.0), "counting stops at the cap");
            let age = value(&samples, &catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS, "table", &label).unwrap();
            assert!((3600.0..3700.0).contains(&age), "oldest event is an hour old, got {age}");

            let uncapped = stack_source(&format!("      outbox:\n        - table: public.{table}\n"));
            let samples = poll(&uncapped).await;
            assert_eq!(value(&samples, &catalog::OUTBOX_TABLE_ROWS, "table", &label), Some(25.0));

            // The age query must use the index, not scan the table.
            admin.batch_execute(&format!("ANALYZE public.{table}")).await.unwrap();
            let plan: Vec<String> = admin
                .query(&format!("EXPLAIN SELECT EXTRACT(EPOCH FROM now() - min(\"created_at\"))::float8 AS oldest_age_seconds FROM \"public\".\"{table}\""), &[])
                .await
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains("Index Only Scan") || plan.contains("Index Scan"), "{plan}");

            // Unpublished: rows newer than the newest record the Kafka source saw on the topics.
            assert!(
                value(&samples, &catalog::OUTBOX_UNPUBLISHED_EVENTS, "table", &label).is_none(),
                "no published_topics configured: unknown, so absent"
            );
            let published = unshared();
            let watching = stack_source_seeing(
                &format!("      outbox:\n        - table: public.{table}\n          published_topics: ['outbox\\.event\\..*']\n"),
                published.clone(),
            );
            let samples = poll(&watching).await;
            assert!(value(&samples, &catalog::OUTBOX_UNPUBLISHED_EVENTS, "table", &label).is_none(), "Kafka not seen yet");
            published.record("kafka", [("outbox.event.order".to_owned(), None)]);
            let samples = poll(&watching).await;
            assert_eq!(value(&samples, &catalog::OUTBOX_UNPUBLISHED_EVENTS, "table", &label), Some(25.0), "nothing published yet");
            // Row n was created at insert time − (3600 − n) s: 15 of them (n = 10..24) are newer
            // than half a second after row 9, however long the test has run.
            let row_9: SystemTime = admin
                .query_one(&format!("SELECT created_at FROM public.{table} WHERE aggregateid = '9'"), &[])
                .await
                .unwrap()
                .get(0);
            let newest = row_9 + Duration::from_millis(500);
            published.record("kafka", [("outbox.event.order".to_owned(), Some(newest))]);
            let samples = poll(&watching).await;
            assert_eq!(value(&samples, &catalog::OUTBOX_UNPUBLISHED_EVENTS, "table", &label), Some(15.0));
            published.forget("kafka");
            let samples = poll(&watching).await;
            assert!(value(&samples, &catalog::OUTBOX_UNPUBLISHED_EVENTS, "table", &label).is_none(), "broker down: unknown");

            admin.batch_execute(&format!("DELETE FROM public.{table}")).await.unwrap();
            let samples = poll(&uncapped).await;
            assert_eq!(value(&samples, &catalog::OUTBOX_TABLE_ROWS, "table", &label), Some(0.0));
            assert_eq!(value(&samples, &catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS, "table", &label), Some(0.0));
        },
        async {
            let _ = admin.batch_execute(&format!("DROP TABLE IF EXISTS public.{table}")).await;
        },
    )
    .await;
}

#[test]
fn injection_looking_table_names_are_refused_at_config_load() {
    let _room = common::room::enter(module_path!());
    let yaml = "sources:\n  postgres:\n    - dsn: host=127.0.0.1 dbname=inventory\n      outbox:\n        - table: \"public.outbox; drop table x\"\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.starts_with("sources.postgres[0].outbox[0].table: "), "{error}");
    assert!(error.contains("(line 5, column"), "{error}");
}

#[tokio::test]
async fn unreachable_postgres_is_up_0_and_metrics_still_serve() {
    let _room = common::room::enter(module_path!());
    let port = free_port();
    let config = exporter_config(port, "nobody", "hunter2", "inventory", "");
    let (up, error, store) = poll_up(PostgresSource::new(&config, Duration::from_secs(2), unshared())).await;
    assert!(!up);
    assert!(error.contains(&format!("127.0.0.1:{port}")) && !error.contains("hunter2"), "{error}");

    let (body, page) = served(store).await;
    assert!(body.contains("debezium_exporter_source_up{source=\"postgres\",target=\"inventory\"} 0"), "{body}");
    assert!(!body.contains("pg_replication_slot"), "no samples from a failed poll");
    assert!(!page.contains("hunter2"), "{page}");
}

/// What the exporter's server makes of `store`: `/metrics` (answered 200) and the landing page.
async fn served(store: Arc<Store>) -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = server::app(Arc::new(AppState::new(store, "/metrics".to_owned(), Default::default())));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let response = reqwest::get(format!("http://{address}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let page = reqwest::get(format!("http://{address}/")).await.unwrap().text().await.unwrap();
    (body, page)
}

/// A throwaway PostgreSQL cluster of our own, stopped and deleted on drop.
struct PrivateCluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    fn start(settings: &[&str]) -> PrivateCluster {
        PrivateCluster::start_with_files(settings, &[])
    }

    /// `files` (name, content) are written into the data directory, readable by the server
    /// only, before it starts: `server.crt` and `server.key` are where `ssl = on` looks.
    fn start_with_files(settings: &[&str], files: &[(&str, &str)]) -> PrivateCluster {
        let dir = tempfile::Builder::new().prefix("dbx-test-pg-").tempdir().unwrap();
        give_to_postgres(dir.path());
        let data = dir.path().join("data");
        let port = free_port();
        run(as_postgres(&bindir().join("initdb")).args(["-A", "trust", "-U", "postgres", "-D"]).arg(&data));
        for (name, content) in files {
            let path = data.join(name);
            std::fs::write(&path, content).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            give_to_postgres(&path);
        }
        let mut conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nwal_level = logical\nmax_wal_senders = 4\nmax_replication_slots = 4\nfsync = off\n",
            dir.path().display()
        );
        for setting in settings {
            conf.push_str(setting);
            conf.push('\n');
        }
        std::fs::write(data.join("postgresql.auto.conf"), conf).unwrap();
        let cluster = PrivateCluster { dir, port };
        cluster.pg_ctl("start");
        cluster
    }

    /// A streaming standby of `primary` (pg_basebackup -R), replicating through the
    /// primary's physical slot `slot`.
    fn standby_of(primary: &PrivateCluster, slot: &str) -> PrivateCluster {
        let dir = tempfile::Builder::new().prefix("dbx-test-pg-standby-").tempdir().unwrap();
        give_to_postgres(dir.path());
        let data = dir.path().join("data");
        let port = free_port();
        run(as_postgres(&bindir().join("pg_basebackup"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-X",
                "stream",
                "-R",
                "-S",
                slot,
            ])
            .arg("-D")
            .arg(&data));
        // The copied settings name the primary's port and socket; the last line wins.
        let mut conf = std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap();
        conf.push_str(&format!("port = {port}\nunix_socket_directories = '{}'\n", dir.path().display()));
        std::fs::write(data.join("postgresql.auto.conf"), conf).unwrap();
        let standby = PrivateCluster { dir, port };
        standby.pg_ctl("start");
        standby
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        run(as_postgres(&bindir().join("pg_ctl"))
            .args([action, "-w", "-m", "fast", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(&log));
    }

    fn source(&self, timeout: Duration) -> PostgresSource {
        PostgresSource::new(&exporter_config(self.port, "postgres", "unused", "postgres", ""), timeout, unshared())
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_postgres(&bindir().join("pg_ctl")).args(["stop", "-m", "immediate", "-D"]).arg(&data).output();
    }
}

fn status_of(samples: &Samples, slot: &str) -> Option<String> {
    let slot_index = 1;
    samples
        .get(&catalog::REPLICATION_SLOT_WAL_STATUS)
        .iter()
        .find(|(labels, value)| labels[slot_index] == slot && *value == 1.0)
        .map(|(labels, _)| labels[5].clone())
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn wal_status_goes_unreserved_then_lost_for_real() {
    let _room = common::room::enter(module_path!());
    // No checkpoint may happen on its own between the steps: the forced WAL stays far below
    // max_wal_size and the timeout far above the test's duration.
    let cluster = PrivateCluster::start(&["max_wal_size = 1GB", "checkpoint_timeout = 1h"]);
    let admin = connect(cluster.port, "postgres", "postgres").await;
    let slot = "dbx_doomed";
    admin.execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", &[&slot]).await.unwrap();
    // ALTER SYSTEM refuses to run in the implicit transaction of a multi-statement batch.
    admin.batch_execute("ALTER SYSTEM SET max_slot_wal_keep_size = '16MB'").await.unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").await.unwrap();
    let source = cluster.source(Duration::from_secs(5));

    let samples = poll(&source).await;
    assert_eq!(status_of(&samples, slot).as_deref(), Some("reserved"));
    assert_eq!(
        value(&samples, &catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES, "db", "postgres"),
        Some(16.0 * 1024.0 * 1024.0)
    );
    assert!(slot_value(&samples, &catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES, slot).is_some());

    // Each switch after a write starts a new 16 MB segment: three of them exceed the 16 MB the
    // slot may keep, so its oldest segment is no longer reserved.
    for _ in 0..4 {
        admin
            .batch_execute(
                "SELECT pg_logical_emit_message(true, 'dbx-test', repeat('z', 1000)); SELECT pg_switch_wal()",
            )
            .await
            .unwrap();
    }
    let samples = poll(&source).await;
    assert_eq!(status_of(&samples, slot).as_deref(), Some("unreserved"));
    let safe = slot_value(&samples, &catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES, slot).unwrap();
    assert!(safe <= 0.0, "safe_wal_size {safe}");

    // The checkpoint removes the segments: the slot is lost and can never be resumed.
    admin.batch_execute("CHECKPOINT").await.unwrap();
    let samples = poll(&source).await;
    assert_eq!(status_of(&samples, slot).as_deref(), Some("lost"));
    assert_eq!(slot_value(&samples, &catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES, slot), None, "restart_lsn is NULL");
    assert_eq!(slot_value(&samples, &catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES, slot), None);
    assert!(slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, slot).is_some(), "lag stays visible");
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn stopped_postgres_is_up_0_and_comes_back_by_itself() {
    let _room = common::room::enter(module_path!());
    let cluster = PrivateCluster::start(&[]);
    let source: Arc<dyn Source> = Arc::new(cluster.source(Duration::from_secs(2)));
    let store = Store::new([(source.kind(), source.target().to_owned())]);
    let target = store.targets()[0].clone();
    let poll_timeout = Duration::from_secs(5);

    source::poll_once(source.as_ref(), &target, &store, poll_timeout).await;
    assert!(target.state().up, "{:?}", target.state().last_error);

    cluster.pg_ctl("stop");
    source::poll_once(source.as_ref(), &target, &store, poll_timeout).await;
    assert!(!target.state().up);
    assert!(target.state().observation.is_none(), "a failed poll drops its samples");

    cluster.pg_ctl("start");
    let started = Instant::now();
    loop {
        source::poll_once(source.as_ref(), &target, &store, poll_timeout).await;
        if target.state().up {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "still down: {:?}", target.state().last_error);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A CA and a server certificate it signs for the IP address 127.0.0.1 only, as PEM.
struct TestCertificates {
    ca: String,
    server_certificate: String,
    server_key: String,
}

impl TestCertificates {
    fn new(ca_name: &str) -> TestCertificates {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, ca_name);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap()).unwrap();
        let mut server_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        server_params.distinguished_name.push(rcgen::DnType::CommonName, "127.0.0.1");
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_certificate = server_params.signed_by(&server_key, &ca).unwrap();
        TestCertificates {
            ca: ca.pem(),
            server_certificate: server_certificate.pem(),
            server_key: server_key.serialize_pem(),
        }
    }
}

/// Polls a source once through the poll loop: (up, last error).
async fn poll_up(source: PostgresSource) -> (bool, String, Arc<Store>) {
    let source: Arc<dyn Source> = Arc::new(source);
    let store = Arc::new(Store::new([(source.kind(), source.target().to_owned())]));
    let target = store.targets()[0].clone();
    source::poll_once(source.as_ref(), &target, &store, Duration::from_secs(10)).await;
    let state = target.state();
    (state.up, state.last_error.unwrap_or_default(), store)
}

const TLS_TEST_PASSWORD: &str = "pg-tls-secret-pw";

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn tls_modes_verify_the_server_as_libpq_does() {
    let _room = common::room::enter(module_path!());
    let certificates = TestCertificates::new("pg-test-ca");
    let cluster = PrivateCluster::start_with_files(
        &["ssl = on"],
        &[("server.crt", &certificates.server_certificate), ("server.key", &certificates.server_key)],
    );
    let files = tempfile::Builder::new().prefix("pg-tls-").tempdir().unwrap();
    let ca_file = files.path().join("ca.pem");
    std::fs::write(&ca_file, &certificates.ca).unwrap();
    let wrong_ca_file = files.path().join("wrong-ca.pem");
    std::fs::write(&wrong_ca_file, TestCertificates::new("pg-test-other-ca").ca).unwrap();
    let admin = connect(cluster.port, "postgres", "postgres").await;
    admin.execute("SELECT pg_create_logical_replication_slot('pg_tls_slot', 'pgoutput')", &[]).await.unwrap();

    // `tls` is YAML keys of the section; the DSN's own options come after `host`.
    let source = |host: &str, tls: &str| {
        let yaml = format!(
            "sources:\n  postgres:\n    - name: pg-tls\n      dsn: \"host={host} port={} user=postgres password={TLS_TEST_PASSWORD} dbname=postgres\"\n{tls}",
            cluster.port
        );
        let config = Config::from_yaml(&yaml).expect("test config parses").sources.postgres.remove(0);
        PostgresSource::new(&config, Duration::from_secs(5), unshared())
    };
    let with_ca = |mode: &str, ca: &Path| format!("      sslmode: {mode}\n      ca_file: {}\n", ca.display());

    // verify-full with the CA that signed the certificate: up, slots visible, and the server
    // itself says the exporter's session is encrypted.
    let verified = source("127.0.0.1", &with_ca("verify-full", &ca_file));
    let samples = poll(&verified).await;
    assert!(slot_value(&samples, &catalog::REPLICATION_SLOT_ACTIVE, "pg_tls_slot").is_some());
    // Every exporter session open on the server, as the server sees it: (count, all encrypted).
    let sessions_encrypted = || async {
        let row = admin
            .query_one(
                "SELECT count(*), coalesce(bool_and(ssl), false) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
                 WHERE application_name = 'debezium-exporter'",
                &[],
            )
            .await
            .unwrap();
        (row.get::<_, i64>(0), row.get::<_, bool>(1))
    };
    let (sessions, encrypted) = sessions_encrypted().await;
    assert!(sessions >= 1 && encrypted, "the exporter's session is not encrypted ({sessions} sessions)");

    // The DSN's own sslmode and sslrootcert do the same.
    let dsn_only = source(&format!("127.0.0.1 sslmode=verify-full sslrootcert={}", ca_file.display()), "");
    let (up, error, _) = poll_up(dsn_only).await;
    assert!(up, "{error}");

    // The certificate names 127.0.0.1, not localhost: verify-ca accepts it, verify-full does not.
    let (up, error, _) = poll_up(source("localhost", &with_ca("verify-ca", &ca_file))).await;
    assert!(up, "verify-ca ignores the name: {error}");
    let (up, error, _) = poll_up(source("localhost", &with_ca("verify-full", &ca_file))).await;
    assert!(!up);
    assert!(error.contains("certificate not valid for name"), "{error}");
    assert!(!error.contains(TLS_TEST_PASSWORD), "{error}");

    // SCRAM over TLS (with tls-server-end-point channel binding where the server offers it):
    // a password role that may only log in over TLS.
    admin
        .batch_execute(&format!(
            "CREATE ROLE tls_reader LOGIN PASSWORD '{TLS_TEST_PASSWORD}'; GRANT pg_monitor TO tls_reader"
        ))
        .await
        .unwrap();
    let hba = cluster.dir.path().join("data").join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("hostssl all tls_reader 127.0.0.1/32 scram-sha-256\n{rules}")).unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").await.unwrap();
    let scram = |password: &str| {
        let yaml = format!(
            "sources:\n  postgres:\n    - name: pg-tls\n      dsn: \"host=127.0.0.1 port={} user=tls_reader password={password} dbname=postgres\"\n{}",
            cluster.port,
            with_ca("verify-full", &ca_file)
        );
        PostgresSource::new(
            &Config::from_yaml(&yaml).unwrap().sources.postgres.remove(0),
            Duration::from_secs(5),
            unshared(),
        )
    };
    let (up, error, _) = poll_up(scram(TLS_TEST_PASSWORD)).await;
    assert!(up, "SCRAM over TLS: {error}");
    let (up, error, _) = poll_up(scram("pg-wrong-pw")).await;
    assert!(!up && error.contains("password authentication failed"), "{error}");
    assert!(!error.contains("pg-wrong-pw"), "{error}");

    // require and prefer encrypt without a CA, as libpq does: while the source is connected,
    // every exporter session the server sees is encrypted.
    for mode in ["require", "prefer"] {
        let unverified = source("127.0.0.1", &format!("      sslmode: {mode}\n"));
        let samples = poll(&unverified).await;
        assert!(slot_value(&samples, &catalog::REPLICATION_SLOT_ACTIVE, "pg_tls_slot").is_some(), "{mode}");
        let (sessions, encrypted) = sessions_encrypted().await;
        assert!(encrypted, "{mode}: not every one of {sessions} exporter sessions is encrypted");
    }

    // A CA that did not sign the certificate: up 0 with the reason, /metrics still answers.
    let (up, error, store) = poll_up(source("127.0.0.1", &with_ca("verify-full", &wrong_ca_file))).await;
    assert!(!up);
    assert!(error.contains("invalid peer certificate: UnknownIssuer"), "{error}");
    assert!(error.contains(&format!("postgresql://postgres@127.0.0.1:{}/postgres", cluster.port)), "{error}");
    assert!(!error.contains(TLS_TEST_PASSWORD), "{error}");
    let (up, error, _) = poll_up(source("127.0.0.1", &with_ca("require", &wrong_ca_file))).await;
    assert!(!up && error.contains("UnknownIssuer"), "require with a CA checks the chain: {error}");
    let (body, page) = served(store).await;
    assert!(body.contains("debezium_exporter_source_up{source=\"postgres\",target=\"pg-tls\"} 0"), "{body}");
    assert!(!body.contains(TLS_TEST_PASSWORD));
    assert!(!page.contains(TLS_TEST_PASSWORD), "{page}");
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn tls_required_from_a_server_without_it_is_up_0() {
    let _room = common::room::enter(module_path!());
    let cluster = PrivateCluster::start(&["ssl = off"]);
    let yaml = format!(
        "sources:\n  postgres:\n    - name: pg-notls\n      dsn: \"host=127.0.0.1 port={} user=postgres password={TLS_TEST_PASSWORD} dbname=postgres sslmode=require\"\n",
        cluster.port
    );
    let config = Config::from_yaml(&yaml).unwrap().sources.postgres.remove(0);
    let (up, error, _) = poll_up(PostgresSource::new(&config, Duration::from_secs(5), unshared())).await;
    assert!(!up);
    assert!(error.contains("server does not support TLS"), "{error}");
    assert!(!error.contains(TLS_TEST_PASSWORD), "{error}");

    // prefer falls back to a plain session.
    let mut config = config;
    config.sslmode = Some(debezium_exporter::config::SslMode::Prefer);
    let (up, error, _) = poll_up(PostgresSource::new(&config, Duration::from_secs(5), unshared())).await;
    assert!(up, "{error}");

    // Over the server's Unix socket, require is ignored as libpq ignores it: no TLS there.
    let yaml = format!(
        "sources:\n  postgres:\n    - name: pg-socket\n      dsn: \"host={} port={} user=postgres dbname=postgres sslmode=require\"\n",
        cluster.dir.path().display(),
        cluster.port
    );
    let config = Config::from_yaml(&yaml).unwrap().sources.postgres.remove(0);
    let (up, error, _) = poll_up(PostgresSource::new(&config, Duration::from_secs(5), unshared())).await;
    assert!(up, "{error}");
}

fn lsn_value(samples: &Samples, db: &str) -> f64 {
    value(samples, &catalog::WAL_CURRENT_LSN_BYTES, "db", db).expect("pg_wal_current_lsn_bytes")
}

async fn current_lsn(client: &Client) -> f64 {
    client.query_one("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8", &[]).await.unwrap().get(0)
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_streaming_standby_reports_its_received_wal_and_its_own_slots() {
    let _room = common::room::enter(module_path!());
    let primary = PrivateCluster::start(&[]);
    let on_primary = connect(primary.port, "postgres", "postgres").await;
    on_primary.execute("SELECT pg_create_physical_replication_slot('pg_standby_slot', true)", &[]).await.unwrap();
    // Logical slots live on the primary only (PostgreSQL 15 has none on standbys).
    on_primary
        .execute("SELECT pg_create_logical_replication_slot('pg_primary_logical', 'pgoutput')", &[])
        .await
        .unwrap();
    let standby = PrivateCluster::standby_of(&primary, "pg_standby_slot");
    let on_standby = connect(standby.port, "postgres", "postgres").await;
    let in_recovery: bool = on_standby.query_one("SELECT pg_is_in_recovery()", &[]).await.unwrap().get(0);
    assert!(in_recovery, "the copy is a standby");
    // A slot of the standby's own, for a cascading standby that would read from it.
    on_standby.execute("SELECT pg_create_physical_replication_slot('pg_cascade_slot', true)", &[]).await.unwrap();

    on_primary
        .batch_execute(
            "CREATE TABLE pg_standby_t AS SELECT g AS id, repeat('x', 100) AS filler FROM generate_series(1, 10000) g",
        )
        .await
        .unwrap();
    let written = current_lsn(&on_primary).await;

    // The standby's source: its WAL position is the last received, which reaches what the
    // primary wrote; the primary's own position can only be ahead of it.
    let standby_source = standby.source(Duration::from_secs(5));
    let started = Instant::now();
    let samples = loop {
        let samples = poll(&standby_source).await;
        if lsn_value(&samples, "postgres") >= written {
            break samples;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the standby never received {written}: {}",
            lsn_value(&samples, "postgres")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let on_standby_lsn = lsn_value(&samples, "postgres");
    assert!(on_standby_lsn <= current_lsn(&on_primary).await, "a standby cannot be ahead of its primary");
    let receive: f64 = on_standby
        .query_one("SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::float8", &[])
        .await
        .unwrap()
        .get(0);
    assert!(on_standby_lsn <= receive, "reported {on_standby_lsn}, received since then {receive}");

    // Its slots are its own: the physical one it holds, not the primary's.
    let slots: Vec<String> =
        samples.get(&catalog::REPLICATION_SLOT_ACTIVE).iter().map(|(labels, _)| labels[1].clone()).collect();
    assert_eq!(slots, ["pg_cascade_slot"]);
    let restart: f64 = on_standby
        .query_one("SELECT pg_wal_lsn_diff(restart_lsn, '0/0')::float8 FROM pg_replication_slots WHERE slot_name = 'pg_cascade_slot'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        slot_value(&samples, &catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES, "pg_cascade_slot"),
        Some(on_standby_lsn - restart)
    );
    assert_eq!(
        slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, "pg_cascade_slot"),
        Some(on_standby_lsn - restart),
        "physical: lag is from restart_lsn"
    );
    assert_eq!(slot_value(&samples, &catalog::REPLICATION_SLOT_ACTIVE, "pg_cascade_slot"), Some(0.0));
    assert_eq!(status_of(&samples, "pg_cascade_slot").as_deref(), Some("reserved"));

    // The primary's source: the standby's slot is active, and its confirmed position
    // (current − lag) reaches what was written once the standby has flushed it.
    let primary_source = primary.source(Duration::from_secs(5));
    let started = Instant::now();
    loop {
        let samples = poll(&primary_source).await;
        let active = slot_value(&samples, &catalog::REPLICATION_SLOT_ACTIVE, "pg_standby_slot");
        let lag = slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, "pg_standby_slot").unwrap();
        let confirmed = lsn_value(&samples, "postgres") - lag;
        if active == Some(1.0) && confirmed >= written {
            assert!(slot_value(&samples, &catalog::REPLICATION_SLOT_LAG_BYTES, "pg_primary_logical").unwrap() > 0.0);
            break;
        }
        assert!(started.elapsed() < DEADLINE, "standby slot active {active:?}, confirmed {confirmed} < {written}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Promoted, the standby is a primary: the same connection switches to pg_current_wal_lsn()
    // (the last received position would stay behind what it writes from now on).
    standby.pg_ctl("promote");
    on_standby.batch_execute("CREATE TABLE pg_after_promotion (id int)").await.unwrap();
    let written_after_promotion = current_lsn(&on_standby).await;
    let samples = poll(&standby_source).await;
    let promoted_lsn = lsn_value(&samples, "postgres");
    assert!(promoted_lsn >= written_after_promotion, "{promoted_lsn} < {written_after_promotion}");
    assert!(promoted_lsn <= current_lsn(&on_standby).await);
}

async fn explain(client: &Client, sql: &str, cap: i64) -> String {
    let rows = client.query(&format!("EXPLAIN {sql}"), &[&cap]).await.unwrap();
    rows.iter().map(|row| row.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
}

/// The statements the server parsed and executed, from its log (log_min_duration_statement = 0).
fn logged(cluster: &PrivateCluster, what: &str) -> Vec<String> {
    let log = std::fs::read_to_string(cluster.dir.path().join("log")).unwrap();
    log.lines().filter(|line| line.contains(&format!("  {what} "))).map(str::to_owned).collect()
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn the_capped_count_walks_an_index_and_statements_are_prepared_once_per_connection() {
    let _room = common::room::enter(module_path!());
    // autovacuum off: the table stays as a busy outbox is before VACUUM reaches it.
    let cluster = PrivateCluster::start(&["autovacuum = off", "log_min_duration_statement = 0"]);
    let admin = connect(cluster.port, "postgres", "postgres").await;
    admin
        .batch_execute(
            "CREATE TABLE public.pg_outbox_plan (id bigint PRIMARY KEY, created_at timestamptz NOT NULL);
             INSERT INTO public.pg_outbox_plan SELECT n, now() - make_interval(secs => n) FROM generate_series(1, 50000) n;
             CREATE INDEX pg_outbox_plan_created_at ON public.pg_outbox_plan (created_at);
             ANALYZE public.pg_outbox_plan",
        )
        .await
        .unwrap();
    let config = exporter_config(
        cluster.port,
        "postgres",
        "unused",
        "postgres",
        "      outbox:\n        - table: public.pg_outbox_plan\n          count_cap: 1000\n",
    );
    let queries = OutboxQueries::new(&config.outbox[0]);
    let source = PostgresSource::new(&config, Duration::from_secs(5), unshared());
    let rows = |samples: &Samples| value(samples, &catalog::OUTBOX_TABLE_ROWS, "table", "public.pg_outbox_plan");

    // The timestamp column's index is chosen over the primary key's, and walked: no Seq Scan.
    assert_eq!(indexed_column(&admin, &queries).await.as_deref(), Some("created_at"));
    let ordered = queries.count(Some("created_at"));
    let plan = explain(&admin, &ordered, queries.cap).await;
    assert!(plan.contains("Index Only Scan using pg_outbox_plan_created_at") && !plan.contains("Seq Scan"), "{plan}");
    let unordered = explain(&admin, &queries.count(None), queries.cap).await;
    assert!(unordered.contains("Seq Scan"), "without ORDER BY a never-vacuumed table is scanned: {unordered}");

    // Prepared once per connection: later polls execute, never parse again.
    assert_eq!(rows(&poll(&source).await), Some(1000.0));
    let parsed = logged(&cluster, "parse").len();
    let executed = logged(&cluster, "execute").len();
    assert_eq!(rows(&poll(&source).await), Some(1000.0));
    assert_eq!(logged(&cluster, "parse").len(), parsed, "a poll parsed again");
    assert!(logged(&cluster, "execute").len() > executed);
    assert!(logged(&cluster, "parse").iter().any(|line| line.ends_with(&ordered)), "the source counts in index order");

    // Without that index the primary key is walked; without any, the count is not ordered (a
    // sort would read the whole table). The source follows on its next poll.
    admin.batch_execute("DROP INDEX pg_outbox_plan_created_at").await.unwrap();
    assert_eq!(indexed_column(&admin, &queries).await.as_deref(), Some("id"));
    // An index `ORDER BY created_at` cannot walk (it would Sort after a Seq Scan) is passed over;
    // DESC with its default NULLS FIRST is walked backwards.
    for (order, walkable) in [("DESC NULLS LAST", false), ("NULLS FIRST", false), ("DESC", true)] {
        admin
            .batch_execute(&format!("CREATE INDEX pg_outbox_plan_other ON public.pg_outbox_plan (created_at {order})"))
            .await
            .unwrap();
        let expected = if walkable { "created_at" } else { "id" };
        assert_eq!(indexed_column(&admin, &queries).await.as_deref(), Some(expected), "created_at {order}");
        let plan = explain(&admin, &queries.count(Some("created_at")), queries.cap).await;
        assert_eq!(!plan.contains("Sort"), walkable, "created_at {order}: {plan}");
        admin.batch_execute("DROP INDEX pg_outbox_plan_other").await.unwrap();
    }
    admin
        .batch_execute("CREATE INDEX pg_outbox_plan_other ON public.pg_outbox_plan (created_at) WHERE id > 0")
        .await
        .unwrap();
    assert_eq!(indexed_column(&admin, &queries).await.as_deref(), Some("id"), "a partial index");
    admin.batch_execute("DROP INDEX pg_outbox_plan_other").await.unwrap();
    let by_key = queries.count(Some("id"));
    let plan = explain(&admin, &by_key, queries.cap).await;
    assert!(plan.contains("Index Only Scan using pg_outbox_plan_pkey") && !plan.contains("Seq Scan"), "{plan}");
    assert_eq!(rows(&poll(&source).await), Some(1000.0));
    assert!(logged(&cluster, "parse").iter().any(|line| line.ends_with(&by_key)));

    admin.batch_execute("ALTER TABLE public.pg_outbox_plan DROP CONSTRAINT pg_outbox_plan_pkey").await.unwrap();
    assert_eq!(indexed_column(&admin, &queries).await, None);
    assert_eq!(rows(&poll(&source).await), Some(1000.0));
    assert!(logged(&cluster, "parse").iter().any(|line| line.ends_with(&queries.count(None))));
}

async fn indexed_column(client: &Client, queries: &OutboxQueries) -> Option<String> {
    client
        .query_opt(INDEXED_COLUMN, &[&queries.table_sql, &queries.timestamp_column])
        .await
        .unwrap()
        .map(|row| row.get(0))
}

/// A connection that goes silent (half-open: a firewall dropped its state) while new
/// connections would work: the poll that times out must drop it, so that the next poll
/// reconnects. Before, every poll reused the stuck connection and `up` stayed 0 for good.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_silent_connection_is_dropped_and_the_next_poll_reconnects() {
    let _room = common::room::enter(module_path!());
    let proxy = common::fault_proxy::FaultProxy::start(&format!("127.0.0.1:{}", pg_port())).await;
    let config =
        exporter_config(proxy.port, &env("PG_USER", "debezium"), &env("PG_PASSWORD", "dbz-secret-pw"), &pg_db(), "");
    let timeout = Duration::from_secs(2);
    let source: Arc<dyn Source> = Arc::new(PostgresSource::new(&config, timeout, unshared()));
    let store = Arc::new(Store::new([(source.kind(), source.target().to_owned())]));
    let target = store.targets()[0].clone();
    let poll = || source::poll_once(source.as_ref(), &target, &store, timeout);

    poll().await;
    assert!(target.state().up, "through the proxy: {:?}", target.state().last_error);
    let connections = proxy.connections();

    proxy.freeze();
    poll().await;
    let state = target.state();
    assert!(!state.up, "a silent connection cannot answer");
    assert!(state.last_error.unwrap_or_default().contains("no answer within"), "the poll timed out");

    // The upstream answers anyone who reconnects: recovered within two polls.
    poll().await;
    if !target.state().up {
        poll().await;
    }
    let state = target.state();
    assert!(state.up, "still down two polls after the upstream answers again: {:?}", state.last_error);
    assert!(proxy.connections() > connections, "recovered on a new connection");
}
