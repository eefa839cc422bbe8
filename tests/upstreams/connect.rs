//! The Kafka Connect source against the real Connect worker and Debezium of the test stack,
//! and against a local server answering recorded payloads where the stack cannot show the case
//! (a Connect older than 2.3, a connector name that is not valid Unicode).

use crate::common;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use reqwest::Method;
use tokio::sync::watch;

use common::{Connect, Exporter, Exposition, outbox_connector, psql_admin};
use debezium_exporter::config::Config;
use debezium_exporter::snapshot::Store;
use debezium_exporter::{render, source, sources};

/// A Connect group rebalance takes ≈ 5 s on the test broker; a new connector runs after ≈ 11 s.
const PATIENCE: Duration = Duration::from_secs(90);

fn state(exposition: &Exposition, connector: &str, state: &str) -> Option<f64> {
    exposition.value("kafka_connect_connector_state", &[("connector", connector), ("state", state)])
}

fn task_state(exposition: &Exposition, connector: &str, state: &str) -> Option<f64> {
    exposition.value("kafka_connect_connector_task_state", &[("connector", connector), ("task", "0"), ("state", state)])
}

fn running(exposition: &Exposition, connector: &str) -> bool {
    state(exposition, connector, "running") == Some(1.0) && task_state(exposition, connector, "running") == Some(1.0)
}

/// RUNNING → task FAILED → restart → PAUSED → STOPPED → RUNNING → deleted, each seen on the
/// exporter's next poll, with the database password never leaving Connect.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn connector_lifecycle_is_reflected_on_the_next_poll() {
    let _room = common::room::enter(module_path!());
    let (name, slot, publication) = ("it-lifecycle", "it_lifecycle", "it_lifecycle_pub");
    let connect = Connect::new();
    connect.remove(name, slot).await; // left over from an interrupted run
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {publication}; CREATE PUBLICATION {publication} FOR TABLE public.outbox"
    ));
    connect.create(&outbox_connector(name, slot, publication)).await;
    let exporter = Exporter::start(&["--connect.url", &format!("stack={}", connect.url), "--poll.interval", "1s"]);

    let seen = exporter.wait_for("RUNNING", PATIENCE, |e| running(e, name)).await;
    assert_eq!(seen.value("debezium_exporter_source_up", &[("source", "connect"), ("target", "stack")]), Some(1.0));
    let info = seen.series("debezium_connector_info", &[("connector", name)]);
    assert_eq!(info.len(), 1);
    assert!(info[0].0.contains(&format!("slot=\"{slot}\"")) && info[0].0.contains("plugin=\"pgoutput\""), "{info:?}");

    // A real failure: the publication disappears and the restarted task cannot stream.
    psql_admin(&format!("DROP PUBLICATION {publication}"));
    assert!(matches!(connect.call(Method::POST, &format!("{name}/restart?includeTasks=true")).await, 202 | 204));
    let seen = exporter.wait_for("task FAILED", PATIENCE, |e| task_state(e, name, "failed") == Some(1.0)).await;
    assert_eq!(state(&seen, name, "running"), Some(1.0), "Debezium fails the task, not the connector");
    assert_eq!(seen.value("kafka_connect_connector_failed_task_count", &[("connector", name)]), Some(1.0));
    assert!(seen.value("kafka_connect_worker_task_count", &[("state", "failed")]).unwrap() >= 1.0);
    let (_, page) = exporter.get("/").await;
    assert!(page.contains("Publication autocreation is disabled") || page.contains("ConnectException"), "{page}");

    // The runbook's step 2: restart, once the cause is fixed.
    psql_admin(&format!("CREATE PUBLICATION {publication} FOR TABLE public.outbox"));
    let status = connect.call(Method::POST, &format!("{name}/restart?includeTasks=true&onlyFailed=true")).await;
    assert!(matches!(status, 202 | 204), "restart answered {status}");
    exporter.wait_for("RUNNING after restart", PATIENCE, |e| running(e, name)).await;

    assert_eq!(connect.call(Method::PUT, &format!("{name}/pause")).await, 202);
    exporter.wait_for("PAUSED", PATIENCE, |e| state(e, name, "paused") == Some(1.0)).await;
    assert_eq!(connect.call(Method::PUT, &format!("{name}/stop")).await, 204, "stop is synchronous");
    // A stopped connector keeps no tasks: their series go once Connect has released them.
    exporter
        .wait_for("STOPPED without tasks", PATIENCE, |e| {
            state(e, name, "stopped") == Some(1.0)
                && e.series("kafka_connect_connector_task_state", &[("connector", name)]).is_empty()
        })
        .await;
    assert_eq!(connect.call(Method::PUT, &format!("{name}/resume")).await, 202);
    exporter.wait_for("RUNNING after resume", PATIENCE, |e| running(e, name)).await;

    // Secrets: Connect hands us the password with every poll; it must go nowhere.
    let password = common::pg_password();
    assert!(!exporter.metrics().await.contains(&password));
    assert!(!exporter.get("/").await.1.contains(&password));
    assert!(!exporter.log().contains(&password));

    // The runbook's step 3a deletes the connector: its series go with it.
    connect.remove(name, slot).await;
    exporter
        .wait_for("deleted connector gone", PATIENCE, |e| {
            !e.0.contains(&format!("connector=\"{name}\""))
                && e.value("debezium_exporter_source_up", &[("target", "stack")]) == Some(1.0)
        })
        .await;
    psql_admin(&format!("DROP PUBLICATION IF EXISTS {publication}"));
}

/// What the counting proxy does with the next request.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Forward,
    Garbage,
    Hang,
}

struct Proxy {
    upstream: String,
    requests: AtomicUsize,
    mode: watch::Receiver<Mode>,
    client: reqwest::Client,
}

/// A recording proxy in front of the real Connect: counts requests, and can answer garbage or
/// hang to show how the exporter copes with a broken upstream.
async fn start_proxy() -> (Arc<Proxy>, watch::Sender<Mode>, String, tokio::task::JoinHandle<()>) {
    let (set_mode, mode) = watch::channel(Mode::Forward);
    let proxy = Arc::new(Proxy {
        upstream: common::connect_url(),
        requests: AtomicUsize::new(0),
        mode,
        client: reqwest::Client::new(),
    });
    let app = Router::new().fallback(forward).with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (proxy, set_mode, url, server)
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    proxy.requests.fetch_add(1, Ordering::SeqCst);
    let mode = *proxy.mode.borrow();
    match mode {
        Mode::Garbage => return "<html>502 Bad Gateway</html>".into_response(),
        Mode::Hang => std::future::pending::<()>().await,
        Mode::Forward => {}
    }
    let path = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let upstream = proxy.client.get(format!("{}{path}", proxy.upstream)).send().await.unwrap();
    (axum::http::StatusCode::from_u16(upstream.status().as_u16()).unwrap(), upstream.bytes().await.unwrap())
        .into_response()
}

/// One request per cluster per poll, however many connectors there are.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn one_request_per_cluster_per_poll() {
    let _room = common::room::enter(module_path!());
    let connect = Connect::new();
    let connectors = [("it-count-a", "it_count_a"), ("it-count-b", "it_count_b")];
    for (name, slot) in connectors {
        connect.create(&outbox_connector(name, slot, "dbz_publication")).await;
    }
    connect.wait_listed(&connectors.map(|(name, _)| name)).await;
    let (proxy, _mode, url, server) = start_proxy().await;
    let config = Config::from_yaml(&format!("sources:\n  connect:\n    - name: counted\n      url: {url}\n")).unwrap();
    let configured = sources::from_config(&config).unwrap();
    let store = Store::new([(debezium_exporter::catalog::SourceKind::Connect, "counted".to_owned())]);
    let polls = 5;
    for _ in 0..polls {
        source::poll_once(configured[0].source.as_ref(), &store.targets()[0], &store, Duration::from_secs(10)).await;
    }
    let samples = render::collect(&store);
    let seen = samples.get(&debezium_exporter::catalog::CONNECTOR_INFO).len();
    assert!(seen >= connectors.len(), "saw {seen} connectors");
    assert_eq!(proxy.requests.load(Ordering::SeqCst), polls, "one request per poll with {seen} connectors");
    server.abort();
    for (name, slot) in connectors {
        connect.remove(name, slot).await;
    }
}

/// Garbage, a hang and a Connect that is not there each set `up` to 0 for that cluster only,
/// drop its series, and never take `/metrics` down; the healthy cluster beside it is unaffected.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_broken_connect_sets_up_to_zero_and_metrics_still_answer() {
    let _room = common::room::enter(module_path!());
    let (proxy, set_mode, url, server) = start_proxy().await;
    let connect = common::connect_url();
    let nothing_listens = format!("http://127.0.0.1:{}", common::free_port());
    let exporter = Exporter::start(&[
        "--connect.url",
        &format!("gone={nothing_listens}"),
        "--connect.url",
        &format!("flaky={url}"),
        "--connect.url",
        &format!("healthy={connect}"),
        "--poll.interval",
        "500ms",
        "--poll.timeout",
        "1s",
    ]);
    let up = |e: &Exposition, target: &str| e.value("debezium_exporter_source_up", &[("target", target)]);
    let errors = |e: &Exposition, reason: &str| {
        e.value("debezium_exporter_poll_errors_total", &[("target", "flaky"), ("reason", reason)]).unwrap_or(0.0)
    };
    exporter.wait_for("both up", PATIENCE, |e| up(e, "flaky") == Some(1.0) && up(e, "healthy") == Some(1.0)).await;

    set_mode.send(Mode::Garbage).unwrap();
    let seen = exporter.wait_for("garbage → decode error", PATIENCE, |e| errors(e, "decode") > 0.0).await;
    assert_eq!(up(&seen, "flaky"), Some(0.0));
    assert!(seen.series("kafka_connect_worker_connector_count", &[("cluster", "flaky")]).is_empty(), "no stale series");
    assert_eq!(up(&seen, "healthy"), Some(1.0));
    assert_eq!(seen.series("kafka_connect_worker_connector_count", &[("cluster", "healthy")]).len(), 6);

    set_mode.send(Mode::Hang).unwrap();
    let seen = exporter.wait_for("hang → timeout", PATIENCE, |e| errors(e, "timeout") > 0.0).await;
    assert_eq!(up(&seen, "flaky"), Some(0.0));
    assert_eq!(up(&seen, "healthy"), Some(1.0));

    let gone_errors = seen.value("debezium_exporter_poll_errors_total", &[("target", "gone"), ("reason", "connect")]);
    assert!(gone_errors.unwrap() > 0.0, "nothing listens: connect errors");
    assert_eq!(up(&seen, "gone"), Some(0.0));
    assert!(proxy.requests.load(Ordering::SeqCst) >= 3);
    assert_eq!(exporter.get("/readyz").await.0, 200);
    server.abort();
}

/// The listing, `GET /connectors/NAME/status` and `GET /connectors/NAME` of a Connect older
/// than 2.3 (none exists here to test against): recorded answers of Connect 3.9 for `inventory`,
/// served under every name in `names`. Path parameters are percent-decoded as JAX-RS does (no
/// `+` to space); an unknown name is a 404. Returns its URL and the paths it was asked for.
async fn legacy_connect(
    names: &'static [&'static str],
) -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    use axum::extract::Path;
    use axum::http::{StatusCode, Uri};
    use axum::routing::get;

    let expanded: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/connect/expand-running.json")).unwrap();
    let info = expanded["inventory"]["info"].to_string();
    let status = include_str!("../fixtures/connect/status-inventory.json");
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = |asked: &Arc<Mutex<Vec<String>>>, uri: &Uri| asked.lock().unwrap().push(uri.path().to_owned());
    let known = |name: &str| names.contains(&name);
    let app = Router::new()
        .route("/connectors", get(move || async move { serde_json::to_string(names).unwrap() }))
        .route(
            "/connectors/{name}/status",
            get({
                let asked = asked.clone();
                move |Path(name): Path<String>, uri: Uri| async move {
                    record(&asked, &uri);
                    if known(&name) {
                        (StatusCode::OK, status.to_owned())
                    } else {
                        (StatusCode::NOT_FOUND, String::new())
                    }
                }
            }),
        )
        .route(
            "/connectors/{name}",
            get({
                let asked = asked.clone();
                move |Path(name): Path<String>, uri: Uri| async move {
                    record(&asked, &uri);
                    if known(&name) { (StatusCode::OK, info.clone()) } else { (StatusCode::NOT_FOUND, String::new()) }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked, server)
}

/// Polls a Connect source at `url` once and renders what it saw.
async fn poll_once(url: &str) -> debezium_exporter::snapshot::Samples {
    let config = Config::from_yaml(&format!("sources:\n  connect:\n    - name: legacy\n      url: {url}\n")).unwrap();
    let configured = sources::from_config(&config).unwrap();
    let store = Store::new([(debezium_exporter::catalog::SourceKind::Connect, "legacy".to_owned())]);
    source::poll_once(configured[0].source.as_ref(), &store.targets()[0], &store, Duration::from_secs(10)).await;
    render::collect(&store)
}

/// Connect < 2.3: each connector's name is one percent-encoded path segment, so names with a
/// space, a `/` or a `+` are asked for by their own name and none is lost.
#[tokio::test]
async fn legacy_connect_is_asked_for_each_name_as_one_path_segment() {
    let _room = common::room::enter(module_path!());
    let names = &["inventory db", "a/b", "c+d", "e%f"];
    let (url, asked, server) = legacy_connect(names).await;
    let samples = poll_once(&url).await;
    let mut seen: Vec<String> =
        samples.get(&debezium_exporter::catalog::CONNECTOR_INFO).iter().map(|(labels, _)| labels[1].clone()).collect();
    seen.sort();
    assert_eq!(seen, ["a/b", "c+d", "e%f", "inventory db"]);
    let asked = asked.lock().unwrap().clone();
    for path in
        ["/connectors/inventory%20db/status", "/connectors/a%2Fb", "/connectors/c+d/status", "/connectors/e%25f"]
    {
        assert!(asked.iter().any(|asked| asked == path), "{path} not in {asked:?}");
    }
    server.abort();
}

/// A connector name Connect writes with a lone UTF-16 surrogate (`\uD800`, as Jackson escapes
/// it) is no Rust string: that connector is skipped, counted and logged once, and every other
/// connector of the cluster is still polled (up stays 1).
#[tokio::test]
async fn a_connector_name_that_is_not_unicode_hides_no_other_connector() {
    let _room = common::room::enter(module_path!());
    use axum::routing::get;

    let body = include_str!("../fixtures/connect/expand-lone-surrogate.json");
    let app = Router::new().route("/connectors", get(move || async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let exporter = Exporter::start(&["--connect.url", &format!("odd={url}"), "--poll.interval", "500ms"]);
    let seen = exporter
        .wait_for("inventory polled", Duration::from_secs(20), |e| {
            e.value("debezium_exporter_source_up", &[("target", "odd")]) == Some(1.0) && running(e, "inventory")
        })
        .await;
    assert_eq!(seen.value("kafka_connect_skipped_connectors", &[("cluster", "odd")]), Some(1.0));
    assert_eq!(seen.value("kafka_connect_worker_connector_count", &[("state", "running")]), Some(1.0));
    // Several polls later, still one warning naming it as Connect wrote it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let log = exporter.log();
    let warnings = log.lines().filter(|line| line.contains("WARN") && line.contains(r"bil\uD800ling")).count();
    assert_eq!(warnings, 1, "{log}");
    server.abort();
}

/// Kafka Connect's REST behind a connection that goes silent (half-open) while new ones work:
/// the poll that times out takes its pooled connection with it, and the next poll is up again.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_silent_connect_connection_is_replaced_within_two_polls() {
    let _room = common::room::enter(module_path!());
    let connect = Connect::new();
    let upstream = connect.url.trim_start_matches("http://").to_owned();
    let proxy = common::fault_proxy::FaultProxy::start(&upstream).await;
    let exporter = Exporter::start(&[
        "--connect.url",
        &format!("proxied=http://127.0.0.1:{}", proxy.port),
        "--poll.interval",
        "1s",
        "--poll.timeout",
        "2s",
    ]);
    let up = |e: &Exposition| e.value("debezium_exporter_source_up", &[("source", "connect"), ("target", "proxied")]);
    let errors = |e: &Exposition| {
        e.value(
            "debezium_exporter_poll_errors_total",
            &[("source", "connect"), ("target", "proxied"), ("reason", "timeout")],
        )
        .unwrap_or(0.0)
    };
    exporter.wait_for("up through the proxy", PATIENCE, |e| up(e) == Some(1.0)).await;

    proxy.freeze();
    let seen = exporter.wait_for("a poll timed out on the silent connection", PATIENCE, |e| errors(e) >= 1.0).await;
    let timeouts = errors(&seen);
    // Up again on a new connection, before a third poll could time out: within two polls.
    let seen = exporter.wait_for("up again", PATIENCE, |e| up(e) == Some(1.0)).await;
    assert!(errors(&seen) <= timeouts + 1.0, "more than two polls failed after the fault: {}", errors(&seen));
}
