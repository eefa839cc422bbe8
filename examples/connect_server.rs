//! A synthetic Kafka Connect REST upstream, for `scripts/soak`: load and memory work only.
//!
//! Answers `GET /connectors?expand=status&expand=info` for CONNECTORS Debezium PostgreSQL
//! connectors × TASKS tasks in the shape Connect 3.9 gives (see
//! `tests/fixtures/connect/README.md`): compact JSON, each connector's whole config in `info`
//! (password included, as Connect does), a few PAUSED, STOPPED, FAILED connectors and FAILED
//! tasks carrying the real recorded Java trace; sent chunked, as Connect's Jetty sends a large
//! answer. Three variants of the cluster, with different connectors failing, are served in
//! turn so that every poll sees a change.
//!
//! It is no stand-in for Connect in tests: integration tests use the real worker.
//!
//! Modes: `healthy`; `500` (Connect's error body); `hang` (accepts the request, never
//! answers); `garbage` (a 200 with random bytes, or with a healthy body cut in half, in turn);
//! `flap` (healthy, 500, hang, garbage, each for FLAP_SECONDS, round and round).
//! `GET /stats` says how many listing requests each mode got.
//!
//! Usage: `connect_server ADDR [CONNECTORS] [TASKS] [MODE] [FLAP_SECONDS]`
//! (defaults 2000, 4, healthy, 5).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Value, json};

/// The password every synthetic config carries: `scripts/soak` checks that the exporter's log
/// never shows it.
const PASSWORD: &str = "soak-secret-pw-must-never-be-logged";

/// The faults `flap` rotates through, in this order.
const FLAP: [Mode; 4] = [Mode::Healthy, Mode::Status500, Mode::Hang, Mode::Garbage];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Healthy,
    Status500,
    Hang,
    Garbage,
    Flap,
}

impl Mode {
    fn parse(text: &str) -> Option<Mode> {
        Some(match text {
            "healthy" => Mode::Healthy,
            "500" => Mode::Status500,
            "hang" => Mode::Hang,
            "garbage" => Mode::Garbage,
            "flap" => Mode::Flap,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        FLAP.iter().position(|mode| *mode == self).unwrap_or(0)
    }
}

struct Upstream {
    mode: Mode,
    flap_period: Duration,
    started: Instant,
    /// The healthy listings, served in turn.
    bodies: Vec<Bytes>,
    random: Bytes,
    served: AtomicUsize,
    /// Listing requests answered (or, for `hang`, accepted) per mode, in `FLAP` order.
    counts: [AtomicU64; 4],
}

impl Upstream {
    fn current_mode(&self) -> Mode {
        match self.mode {
            Mode::Flap => {
                let period = (self.started.elapsed().as_millis() / self.flap_period.as_millis().max(1)) as usize;
                FLAP[period % FLAP.len()]
            }
            mode => mode,
        }
    }
}

/// A realistic production config: what a Debezium 3.1 outbox connector on PostgreSQL carries.
fn config(n: usize, service: &str, name: &str, tasks: u32) -> Value {
    let entries = [
        ("connector.class", "io.debezium.connector.postgresql.PostgresConnector".to_owned()),
        ("name", name.to_owned()),
        ("tasks.max", tasks.to_string()),
        ("database.hostname", format!("pg-{:02}.db.internal.example.com", n % 24)),
        ("database.port", "5432".to_owned()),
        ("database.user", format!("debezium_{service}")),
        ("database.password", PASSWORD.to_owned()),
        ("database.dbname", format!("{service}_{:02}", n % 40)),
        ("database.sslmode", "require".to_owned()),
        ("topic.prefix", format!("{service}{n:05}")),
        ("plugin.name", "pgoutput".to_owned()),
        ("slot.name", format!("dbz_{service}_{n:05}")),
        ("publication.name", format!("dbz_publication_{n:05}")),
        ("publication.autocreate.mode", "disabled".to_owned()),
        ("snapshot.mode", (if n % 10 == 3 { "no_data" } else { "initial" }).to_owned()),
        ("table.include.list", "public.outbox,public.outbox_archive".to_owned()),
        ("tombstones.on.delete", "false".to_owned()),
        ("heartbeat.interval.ms", "10000".to_owned()),
        (
            "heartbeat.action.query",
            "INSERT INTO public.debezium_heartbeat (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = now()"
                .to_owned(),
        ),
        ("signal.enabled.channels", "source".to_owned()),
        ("signal.data.collection", "public.debezium_signal".to_owned()),
        ("key.converter", "org.apache.kafka.connect.json.JsonConverter".to_owned()),
        ("key.converter.schemas.enable", "false".to_owned()),
        ("value.converter", "org.apache.kafka.connect.json.JsonConverter".to_owned()),
        ("value.converter.schemas.enable", "false".to_owned()),
        ("errors.tolerance", "none".to_owned()),
        ("errors.log.enable", "true".to_owned()),
        ("errors.log.include.messages", "false".to_owned()),
        ("max.batch.size", "2048".to_owned()),
        ("max.queue.size", "8192".to_owned()),
        ("poll.interval.ms", "500".to_owned()),
        ("decimal.handling.mode", "string".to_owned()),
        ("time.precision.mode", "connect".to_owned()),
        ("topic.creation.default.replication.factor", "3".to_owned()),
        ("topic.creation.default.partitions", "6".to_owned()),
        ("topic.creation.default.cleanup.policy", "delete".to_owned()),
        ("topic.creation.default.compression.type", "lz4".to_owned()),
        ("transforms", "outbox".to_owned()),
        ("transforms.outbox.type", "io.debezium.transforms.outbox.EventRouter".to_owned()),
        ("transforms.outbox.table.field.event.key", "aggregateid".to_owned()),
        ("transforms.outbox.table.field.event.payload", "payload".to_owned()),
        ("transforms.outbox.route.by.field", "aggregatetype".to_owned()),
        ("transforms.outbox.route.topic.replacement", format!("{service}.events.${{routedByValue}}")),
        ("transforms.outbox.table.expand.json.payload", "true".to_owned()),
    ];
    Value::Object(entries.into_iter().map(|(key, value)| (key.to_owned(), Value::String(value))).collect())
}

/// One variant of the cluster: `shift` moves which connectors and tasks are not RUNNING.
fn listing(connectors: usize, tasks: u32, shift: usize, trace: &str) -> Bytes {
    const SERVICES: [&str; 8] =
        ["orders", "billing", "inventory", "shipping", "payments", "customers", "catalog", "notifications"];
    let worker = |n: usize| format!("10.0.{}.{}:8083", n % 8, 10 + n % 16);
    let mut cluster = serde_json::Map::new();
    for n in 0..connectors {
        let service = SERVICES[n % SERVICES.len()];
        let name = format!("{service}-service-{n:05}-outbox-connector");
        let (state, connector_trace) = match (n + shift) % 100 {
            0 => ("PAUSED", None),
            1 => ("FAILED", Some(trace)),
            2 => ("STOPPED", None),
            _ => ("RUNNING", None),
        };
        let task_ids = if state == "STOPPED" { 0..0 } else { 0..tasks };
        let statuses: Vec<Value> = task_ids
            .clone()
            .map(|id| {
                let failed = (n + shift) % 50 == 7 && id == 0;
                let mut task = json!({
                    "id": id,
                    "state": if failed { "FAILED" } else if state == "FAILED" { "RUNNING" } else { state },
                    "worker_id": worker(n + id as usize),
                });
                if failed {
                    task["trace"] = json!(trace);
                }
                task
            })
            .collect();
        let mut connector = json!({ "state": state, "worker_id": worker(n) });
        if let Some(trace) = connector_trace {
            connector["trace"] = json!(trace);
        }
        let infos: Vec<Value> = task_ids.map(|id| json!({ "connector": name, "task": id })).collect();
        cluster.insert(
            name.clone(),
            json!({
                "status": { "name": name, "connector": connector, "tasks": statuses, "type": "source" },
                "info": { "name": name, "config": config(n, service, &name, tasks), "tasks": infos, "type": "source" },
            }),
        );
    }
    Bytes::from(serde_json::to_vec(&Value::Object(cluster)).expect("JSON to a Vec cannot fail"))
}

/// The real trace of a FAILED Debezium task, from the recorded fixture.
fn recorded_trace() -> String {
    let fixture: Value = serde_json::from_str(include_str!("../tests/fixtures/connect/expand-task-failed.json"))
        .expect("the fixture is JSON");
    fixture["billing"]["status"]["tasks"][0]["trace"].as_str().expect("the fixture has a trace").to_owned()
}

/// Deterministic noise (xorshift): no dependency for a few random bytes.
fn random_bytes(len: usize) -> Bytes {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

async fn serve_listing(State(upstream): State<Arc<Upstream>>) -> Response {
    let mode = upstream.current_mode();
    upstream.counts[mode.index()].fetch_add(1, Ordering::Relaxed);
    let served = upstream.served.fetch_add(1, Ordering::Relaxed);
    let json = [(header::CONTENT_TYPE, "application/json")];
    match mode {
        Mode::Healthy | Mode::Flap => (json, chunked(&upstream.bodies[served % upstream.bodies.len()])).into_response(),
        Mode::Status500 => {
            (StatusCode::INTERNAL_SERVER_ERROR, json, r#"{"error_code":500,"message":"Request timed out"}"#)
                .into_response()
        }
        Mode::Hang => std::future::pending().await,
        Mode::Garbage if served % 2 == 0 => (json, upstream.random.clone()).into_response(),
        Mode::Garbage => {
            let body = &upstream.bodies[0];
            (json, chunked(&body.slice(..body.len() / 2))).into_response()
        }
    }
}

/// The body as Connect's Jetty sends a large answer: chunked, in 32 KiB pieces (its output
/// buffer), with no `Content-Length` to size a buffer from.
fn chunked(body: &Bytes) -> Body {
    const PIECE: usize = 32 * 1024;
    let pieces: Vec<Result<Bytes, Infallible>> =
        (0..body.len()).step_by(PIECE).map(|start| Ok(body.slice(start..(start + PIECE).min(body.len())))).collect();
    Body::from_stream(futures::stream::iter(pieces))
}

async fn stats(State(upstream): State<Arc<Upstream>>) -> String {
    let counts: Vec<String> = FLAP
        .iter()
        .zip(&upstream.counts)
        .map(|(mode, count)| format!("{mode:?}={}", count.load(Ordering::Relaxed)).to_lowercase())
        .collect();
    format!("{}\n", counts.join(" "))
}

fn main() {
    let usage = "usage: connect_server ADDR [CONNECTORS] [TASKS] [healthy|500|hang|garbage|flap] [FLAP_SECONDS]";
    let mut args = std::env::args().skip(1);
    let address: std::net::SocketAddr = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let connectors: usize = args.next().map_or(2_000, |arg| arg.parse().expect(usage));
    let tasks: u32 = args.next().map_or(4, |arg| arg.parse().expect(usage));
    let mode = args.next().map_or(Mode::Healthy, |arg| Mode::parse(&arg).expect(usage));
    let flap_seconds: f64 = args.next().map_or(5.0, |arg| arg.parse().expect(usage));

    let trace = recorded_trace();
    let bodies: Vec<Bytes> = (0..3).map(|variant| listing(connectors, tasks, variant * 17, &trace)).collect();
    let upstream = Arc::new(Upstream {
        mode,
        flap_period: Duration::from_secs_f64(flap_seconds),
        started: Instant::now(),
        random: random_bytes(64 * 1024),
        bodies,
        served: AtomicUsize::new(0),
        counts: Default::default(),
    });
    let app = Router::new()
        .route("/", get(|| async { r#"{"version":"3.9.0","commit":"84caaa6e9da06435","kafka_cluster_id":"soak"}"# }))
        .route("/connectors", get(serve_listing))
        .route("/stats", get(stats))
        .with_state(upstream.clone());

    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address).await.expect("cannot listen");
        println!(
            "connect_server: {connectors} connectors x {tasks} tasks, mode {mode:?}, listing {} bytes, on http://{address}/",
            upstream.bodies[0].len()
        );
        axum::serve(listener, app).await.expect("server failed");
    });
}
