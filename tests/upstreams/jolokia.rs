//! The Jolokia source against the real Connect worker, Debezium and Jolokia agent of the test
//! stack: lag after real outbox inserts, failed records from a record the EventRouter really
//! rejects, snapshot metrics during a real initial snapshot, a dead bridge, one request per poll.

use crate::common;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};

use common::{Connect, Exporter, Exposition, env_or, outbox_connector, psql_admin};
use debezium_exporter::config::Config;
use debezium_exporter::snapshot::Store;
use debezium_exporter::{catalog, render, source, sources};

/// A new connector runs ≈ 11 s after its POST on the test broker (two rebalances).
const PATIENCE: Duration = Duration::from_secs(120);

fn jolokia_url() -> String {
    format!("http://127.0.0.1:{}/jolokia", env_or("JOLOKIA_PORT", "8778"))
}

fn exporter() -> Exporter {
    Exporter::start(&[
        "--connect.url",
        &format!("stack={}", common::connect_url()),
        "--jolokia.url",
        &format!("w1={}", jolokia_url()),
        "--poll.interval",
        "500ms",
    ])
}

fn connector_value(exposition: &Exposition, metric: &str, connector: &str) -> Option<f64> {
    exposition.value(metric, &[("cluster", "stack"), ("connector", connector)])
}

fn insert_outbox_rows(aggregate: &str, count: usize) {
    for _ in 0..count {
        psql_admin(&format!(
            "INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload) \
             VALUES (gen_random_uuid(), 'jmxtest', '{aggregate}', 'Created', '{{\"n\": 1}}')"
        ));
    }
}

/// Connector, slot and publication names unique to this run: Connect keeps a deleted
/// connector's offsets, so a name used before would skip its snapshot.
fn names(area: &str) -> (String, String, String) {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let name = format!("jmx-{area}-{}", since_epoch.as_millis() % 100_000_000);
    let slot = name.replace('-', "_");
    let publication = format!("{slot}_pub");
    (name, slot, publication)
}

fn publication(name: &str, table: &str) {
    psql_admin(&format!("DROP PUBLICATION IF EXISTS {name}; CREATE PUBLICATION {name} FOR TABLE {table}"));
}

/// Lag is a sane number and the events counter rises after real outbox inserts; the
/// connector streams.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn lag_and_events_after_outbox_inserts() {
    let _room = common::room::enter(module_path!());
    let (name, slot, pub_name) = names("lag");
    let (name, slot, pub_name) = (name.as_str(), slot.as_str(), pub_name.as_str());
    let connect = Connect::new();
    publication(pub_name, "public.outbox");
    connect.create(&outbox_connector(name, slot, pub_name)).await;
    let exporter = exporter();
    let events = "debezium_metrics_number_of_events_seen_total";
    let seen = exporter
        .wait_for("the streaming MBean joined to the connector", PATIENCE, |e| {
            connector_value(e, events, name).is_some()
                && connector_value(e, "debezium_connector_streaming", name) == Some(1.0)
        })
        .await;
    let before = connector_value(&seen, events, name).unwrap();
    assert_eq!(connector_value(&seen, "debezium_metrics_connected", name), Some(1.0));

    insert_outbox_rows(name, 3);
    let seen = exporter
        .wait_for("3 more events seen", PATIENCE, |e| {
            connector_value(e, events, name).is_some_and(|n| n >= before + 3.0)
        })
        .await;
    let lag = connector_value(&seen, "debezium_metrics_milli_seconds_behind_source", name).expect("lag after events");
    assert!((0.0..600_000.0).contains(&lag), "lag {lag} ms is not sane");
    let since = connector_value(&seen, "debezium_metrics_milli_seconds_since_last_event", name).unwrap();
    assert!(since >= 0.0, "{since}");
    let lag_line = seen.series("debezium_metrics_milli_seconds_behind_source", &[("connector", name)]);
    assert!(lag_line[0].0.contains(&format!("server=\"{name}\"")), "{lag_line:?}");
    // Connect polls the records from Debezium's queue a moment after Debezium has seen them.
    let polled = |e: &Exposition| e.value("kafka_connect_source_task_source_record_poll_total", &[("connector", name)]);
    exporter.wait_for("Connect polled the 3 records", PATIENCE, |e| polled(e).is_some_and(|n| n >= 3.0)).await;
    assert_eq!(seen.value("debezium_exporter_source_up", &[("source", "jolokia"), ("target", "w1")]), Some(1.0));

    connect.remove(name, slot).await;
    exporter
        .wait_for("the deleted connector's MBeans gone", PATIENCE, |e| {
            e.series("debezium_metrics_connected", &[("server", name)]).is_empty()
        })
        .await;
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {pub_name}; DELETE FROM public.outbox WHERE aggregateid = '{name}'"
    ));
}

/// An UPDATE on the outbox is a record the EventRouter rejects (`op.invalid.behavior=fatal`);
/// with `errors.tolerance=all` the task keeps running and the failure is counted.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn failed_records_rise_when_the_event_router_rejects_a_record() {
    let _room = common::room::enter(module_path!());
    let (name, slot, pub_name) = names("failed");
    let (name, slot, pub_name) = (name.as_str(), slot.as_str(), pub_name.as_str());
    let connect = Connect::new();
    publication(pub_name, "public.outbox");
    let mut config = outbox_connector(name, slot, pub_name);
    config["config"]["errors.tolerance"] = "all".into();
    config["config"]["transforms.outbox.table.op.invalid.behavior"] = "fatal".into();
    connect.create(&config).await;
    let exporter = exporter();
    let failed = "debezium_metrics_number_of_failed_records";
    let seen = exporter
        .wait_for("the task-error MBean", PATIENCE, |e| {
            connector_value(e, failed, name).is_some()
                && connector_value(e, "debezium_connector_streaming", name) == Some(1.0)
        })
        .await;
    let before = connector_value(&seen, failed, name).unwrap();

    let id = psql_admin(
        "INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload) \
         VALUES (gen_random_uuid(), 'jmxtest', 'jmx-failed', 'Created', '{}') RETURNING id",
    );
    let id = id.lines().next().expect("RETURNING id").to_owned();
    psql_admin(&format!("UPDATE public.outbox SET type = 'Updated' WHERE id = '{id}'"));
    let seen = exporter
        .wait_for("a failed record", PATIENCE, |e| connector_value(e, failed, name).is_some_and(|n| n > before))
        .await;
    let skipped = seen.value("kafka_connect_task_error_records_skipped_total", &[("connector", name)]).unwrap();
    assert!(skipped >= 1.0, "errors.tolerance=all skips the record: {skipped}");
    assert_eq!(
        seen.value("kafka_connect_connector_task_state", &[("connector", name), ("state", "running")]),
        Some(1.0),
        "the task tolerates the failure"
    );
    println!(
        "{}",
        seen.0.lines().filter(|line| line.contains(name) && !line.starts_with('#')).collect::<Vec<_>>().join("\n")
    );

    connect.remove(name, slot).await;
    psql_admin(&format!("DROP PUBLICATION IF EXISTS {pub_name}; DELETE FROM public.outbox WHERE id = '{id}'"));
}

/// A real initial snapshot of a new table, slowed by a sleeping select override so that
/// the running state is seen: running with one table left, then completed with every row.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn snapshot_metrics_move_during_a_real_initial_snapshot() {
    let _room = common::room::enter(module_path!());
    let (name, slot, pub_name) = names("snap");
    let (name, slot, pub_name) = (name.as_str(), slot.as_str(), pub_name.as_str());
    let table = "public.jmx_snap_items";
    let rows = 2000;
    psql_admin(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id serial PRIMARY KEY, label text NOT NULL); \
         INSERT INTO {table} (label) SELECT 'row ' || g FROM generate_series(1, {rows}) g; \
         GRANT SELECT ON {table} TO {}",
        env_or("PG_USER", "debezium")
    ));
    publication(pub_name, table);
    let connect = Connect::new();
    let mut config = outbox_connector(name, slot, pub_name);
    let settings = config["config"].as_object_mut().unwrap();
    settings.retain(|key, _| !key.starts_with("transforms"));
    settings.insert("table.include.list".into(), table.into());
    settings.insert("snapshot.mode".into(), "initial".into());
    settings.insert("snapshot.select.statement.overrides".into(), table.into());
    settings.insert(
        format!("snapshot.select.statement.overrides.{table}"),
        format!("SELECT * FROM {table} WHERE (SELECT pg_sleep(6)) IS NOT NULL").into(),
    );
    let exporter = exporter();
    connect.create(&config).await;

    let running = exporter
        .wait_for("snapshot running", PATIENCE, |e| {
            connector_value(e, "debezium_metrics_snapshot_running", name) == Some(1.0)
        })
        .await;
    assert_eq!(connector_value(&running, "debezium_metrics_snapshot_completed", name), Some(0.0));
    assert_eq!(connector_value(&running, "debezium_metrics_snapshot_tables", name), Some(1.0));
    assert_eq!(connector_value(&running, "debezium_metrics_snapshot_remaining_tables", name), Some(1.0));

    let done = exporter
        .wait_for("snapshot completed", PATIENCE, |e| {
            connector_value(e, "debezium_metrics_snapshot_completed", name) == Some(1.0)
        })
        .await;
    assert_eq!(connector_value(&done, "debezium_metrics_snapshot_running", name), Some(0.0));
    assert_eq!(connector_value(&done, "debezium_metrics_snapshot_remaining_tables", name), Some(0.0));
    let scanned = done.value("debezium_metrics_rows_scanned", &[("connector", name), ("table", table)]);
    assert_eq!(scanned, Some(rows as f64));
    let duration = connector_value(&done, "debezium_metrics_snapshot_duration_seconds", name).unwrap();
    assert!(duration >= 5.0, "the select sleeps 6 s: {duration}");

    connect.remove(name, slot).await;
    psql_admin(&format!("DROP PUBLICATION IF EXISTS {pub_name}; DROP TABLE IF EXISTS {table}"));
}

/// A bridge nobody answers on is `up` 0 for that target only; the join is withheld, because
/// a missing MBean there proves nothing.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_dead_bridge_is_down_alone_and_withholds_the_streaming_join() {
    let _room = common::room::enter(module_path!());
    let nothing_listens = format!("http://127.0.0.1:{}/jolokia", common::free_port());
    let exporter = Exporter::start(&[
        "--connect.url",
        &format!("stack={}", common::connect_url()),
        "--jolokia.url",
        &format!("w1={}", jolokia_url()),
        "--jolokia.url",
        &format!("gone={nothing_listens}"),
        "--poll.interval",
        "500ms",
        "--poll.timeout",
        "2s",
    ]);
    let up = |e: &Exposition, target: &str| {
        e.value("debezium_exporter_source_up", &[("source", "jolokia"), ("target", target)])
    };
    let seen = exporter
        .wait_for("w1 up, gone down", PATIENCE, |e| up(e, "w1") == Some(1.0) && up(e, "gone") == Some(0.0))
        .await;
    let errors = seen.value("debezium_exporter_poll_errors_total", &[("target", "gone"), ("reason", "connect")]);
    assert!(errors.unwrap() > 0.0);
    assert!(!seen.series("kafka_connect_worker_task_startup_failure_total", &[("worker", "w1")]).is_empty());
    assert!(seen.series("kafka_connect_worker_task_startup_failure_total", &[("worker", "gone")]).is_empty());
    assert!(seen.series("debezium_connector_streaming", &[]).is_empty(), "{}", seen.0);
}

struct Proxy {
    upstream: String,
    requests: AtomicUsize,
    client: reqwest::Client,
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    proxy.requests.fetch_add(1, Ordering::SeqCst);
    let method = request.method().clone();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
    let upstream = proxy
        .client
        .request(method, &proxy.upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (axum::http::StatusCode::from_u16(upstream.status().as_u16()).unwrap(), upstream.bytes().await.unwrap())
        .into_response()
}

/// One bulk POST per worker per poll, however many MBeans it reads.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn one_request_per_worker_per_poll() {
    let _room = common::room::enter(module_path!());
    let proxy =
        Arc::new(Proxy { upstream: jolokia_url(), requests: AtomicUsize::new(0), client: reqwest::Client::new() });
    let app = Router::new().fallback(forward).with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jolokia", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = Config::from_yaml(&format!("sources:\n  jolokia:\n    - name: counted\n      url: {url}\n")).unwrap();
    let configured = sources::from_config(&config).unwrap();
    let store = Store::new([(debezium_exporter::catalog::SourceKind::Jolokia, "counted".to_owned())]);
    let polls = 5;
    for _ in 0..polls {
        source::poll_once(configured[0].source.as_ref(), &store.targets()[0], &store, Duration::from_secs(10)).await;
    }
    assert!(store.targets()[0].state().up, "{:?}", store.targets()[0].state().last_error);
    let samples = render::collect(&store);
    let workers = samples.get(&catalog::WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL).len();
    assert_eq!(workers, 1, "the worker MBean was read");
    assert_eq!(proxy.requests.load(Ordering::SeqCst), polls, "one request per poll");
    server.abort();
}
