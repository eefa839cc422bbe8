//! Where the Connect poll path spends memory, for `scripts/soak --measure`.
//!
//! A counting global allocator measures live heap bytes while the exporter's own code runs
//! each step against a Connect REST endpoint (the synthetic `connect_server`): the HTTP fetch
//! of the `expand=status&expand=info` body, its parse, the outbox routes (as if an outbox table
//! derived its topics), the store update, the samples, the exposition written into gzip and as
//! text, then the same again as one real poll and two real scrapes (gzip, then plain) through
//! `server::app` while the previous round is still held, as in a running exporter. For each step: the bytes live before it, the most live during it (above
//! that), and what it leaves live. The heap peak against the process's VmHWM shows what the
//! allocator itself (arenas, fragmentation) and the binary add.
//!
//! Usage: `memory_breakdown CONNECT_URL`

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use debezium_exporter::catalog::SourceKind;
use debezium_exporter::config::{Config, TlsConfig};
use debezium_exporter::http::HttpClient;
use debezium_exporter::join::PublishedTopics;
use debezium_exporter::render;
use debezium_exporter::server::{self, AppState};
use debezium_exporter::snapshot::{Observation, Store};
use debezium_exporter::sources::{self, connect};
use tower::ServiceExt;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: f64 = 1024.0 * 1024.0;

/// Runs one step and prints its line: live before, peak during (above before), live after.
async fn step<T>(name: &str, work: impl Future<Output = T>) -> T {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let value = work.await;
    let (peak, after) = (PEAK.load(Ordering::Relaxed), LIVE.load(Ordering::Relaxed));
    println!(
        "{name:<52} {:>9.1} {:>10.1} {:>10.1} {:>+9.1}",
        before as f64 / MB,
        peak.saturating_sub(before) as f64 / MB,
        after as f64 / MB,
        (after as f64 - before as f64) / MB
    );
    value
}

fn vm_hwm() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    format!("VmRSS {:.1} MiB, VmHWM {:.1} MiB", field("VmRSS:"), field("VmHWM:"))
}

async fn scrape(app: axum::Router, gzip: bool) -> bytes::Bytes {
    let mut request = Request::get("/metrics");
    if gzip {
        request = request.header("accept-encoding", "gzip");
    }
    let response = app.oneshot(request.body(Body::empty()).expect("a request")).await.expect("an answer");
    axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body")
}

async fn run(url: &str) {
    let listing = format!("{}/connectors?expand=status&expand=info", url.trim_end_matches('/'));
    let client =
        HttpClient::new(Duration::from_secs(30), 256 << 20, None, &TlsConfig::default()).expect("an HTTP client");
    println!("{:<52} {:>9} {:>10} {:>10} {:>9}", "step (MiB of live heap)", "before", "peak +", "after", "kept");

    // ---- The poll path, one step at a time.
    let body = step("fetch: expand=status&expand=info body", async {
        client.fetch(client.get(&listing)).await.expect("the listing")
    })
    .await;
    let body_len = body.len();
    let state = step("parse: body -> ClusterState", async {
        match connect::parse(&body).expect("a listing") {
            connect::Parsed::Cluster(state) => state,
            connect::Parsed::LegacyNames { .. } => panic!("a legacy listing"),
        }
    })
    .await;
    // Routes are built only when an outbox table derives its topics from them; the exporter
    // the soak runs has none (no PostgreSQL source), so these two steps show what one costs.
    let published = PublishedTopics::new(Duration::from_secs(3))
        .deriving_for([("inventory".to_owned(), "public.outbox".to_owned())]);
    step("routes, if wanted: first poll builds them", async {
        published.record_routes("soak", state.outbox_routings());
    })
    .await;
    step("routes, if wanted: next poll, configs unchanged", async {
        published.record_routes("soak", state.outbox_routings());
    })
    .await;
    let connectors = state.connectors.len();
    let tasks: usize = state.connectors.iter().map(|connector| connector.tasks.len()).sum();
    step("drop the body (end of the poll)", async { drop(body) }).await;

    let store = Arc::new(Store::new([(SourceKind::Connect, "soak".to_owned())]));
    let observation: Arc<dyn Observation> = Arc::new(state);
    store.update(&store.targets()[0], |target| {
        target.polled = true;
        target.up = true;
        target.observation = Some(observation);
    });
    let samples = step("render::collect: store -> Samples", async { render::collect(&store) }).await;
    let gzip = step("render::write: Samples -> gzip encoder (server.rs)", async {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut buffered = std::io::BufWriter::with_capacity(64 << 10, &mut encoder);
        render::write(&samples, &mut buffered).expect("a Vec");
        drop(buffered);
        encoder.finish().expect("a Vec")
    })
    .await;
    let text = step("render::encode: Samples -> text (plain, unsized)", async { render::encode(&samples) }).await;
    let (plain, capacity) = (text.len(), text.capacity());
    step("drop the Samples and the text", async { drop((samples, text)) }).await;
    let gzip_len = gzip.len();
    step("drop gzip, routes, store", async {
        drop((gzip, store));
        published.forget_routes("soak");
    })
    .await;

    // ---- The real thing: ConnectSource::poll and server::app, twice, as a running exporter.
    let yaml = format!("sources:\n  connect:\n    - name: soak\n      url: {url}\n");
    let config = Config::from_yaml(&yaml).expect("a config");
    let configured = sources::from_config(&config).expect("the Connect source");
    let source = configured[0].source.clone();
    let store = Arc::new(Store::new([(SourceKind::Connect, "soak".to_owned())]));
    let app = server::app(Arc::new(AppState::new(store.clone(), "/metrics".to_owned(), HashMap::new())));
    for round in 1..=2 {
        let observation = step(&format!("round {round}: ConnectSource::poll"), source.poll()).await.expect("a poll");
        step(&format!("round {round}: store update (drops the previous poll)"), async {
            store.update(&store.targets()[0], |target| {
                target.polled = true;
                target.up = true;
                target.observation = Some(observation);
            });
        })
        .await;
        step(&format!("round {round}: scrape, gzip (renders into the encoder)"), scrape(app.clone(), true)).await;
        step(&format!("round {round}: scrape, plain (inflates the gzip)"), scrape(app.clone(), false)).await;
    }

    println!();
    println!("cluster: {connectors} connectors, {tasks} tasks");
    println!("listing body: {body_len} bytes");
    println!("exposition: {plain} bytes plain (String capacity {capacity}), {gzip_len} bytes gzip");
    println!("process: {}", vm_hwm());
}

fn main() {
    let url = std::env::args().nth(1).expect("usage: memory_breakdown CONNECT_URL");
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    runtime.block_on(run(&url));
}
