//! Serves `/metrics` for a synthetic Kafka Connect cluster, for `scripts/bench`.
//!
//! The cluster (by default 2,000 Debezium connectors × 4 tasks) is built in code and put in a
//! `snapshot::Store` exactly as a Connect poll would leave it; `server::app` then serves it the
//! way `debezium-exporter serve` does. No upstream is involved, so what `wrk` measures is the
//! scrape path alone, and the process's RSS is the store plus the cached rendering.
//!
//! Usage: `bench_server ADDR [CONNECTORS] [TASKS_PER_CONNECTOR]`

use std::collections::HashMap;
use std::sync::Arc;

use debezium_exporter::catalog::{FailureCause, State};
use debezium_exporter::server::{self, AppState};
use debezium_exporter::snapshot::{Observation, Store};
use debezium_exporter::sources::connect::{ConnectCluster, Connector, DebeziumConfig, Task, Trace};

/// A cluster that looks like a big real one: mostly RUNNING, a few of everything else.
fn cluster(connectors: usize, tasks_per_connector: u32) -> ConnectCluster {
    let worker = |n: usize| format!("10.0.{}.{}:8083", n % 8, 10 + n % 16);
    let connectors = (0..connectors)
        .map(|n| {
            let name = format!("orders-service-{n:04}-outbox-connector");
            let state = match n % 100 {
                0 => State::Paused,
                1 => State::Failed,
                _ => State::Running,
            };
            Connector {
                kind: "source".to_owned(),
                class: "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
                state: Some(state),
                worker_id: worker(n),
                trace: (state == State::Failed).then(|| Trace {
                    head: "org.apache.kafka.connect.errors.ConnectException: bench".to_owned(),
                    root_cause: None,
                    cause: FailureCause::Unknown,
                }),
                tasks: (0..tasks_per_connector)
                    .map(|id| {
                        let failed = n % 50 == 7 && id == 0;
                        Task {
                            id,
                            state: Some(if failed { State::Failed } else { state }),
                            worker_id: worker(n + id as usize),
                            trace: failed.then(|| Trace {
                                head: "io.debezium.DebeziumException: bench".to_owned(),
                                root_cause: None,
                                cause: FailureCause::Unknown,
                            }),
                        }
                    })
                    .collect(),
                debezium: Some(DebeziumConfig {
                    database: format!("orders_{:02}", n % 40),
                    slot: format!("dbz_orders_{n:04}"),
                    topic_prefix: format!("orders{n:04}"),
                    plugin: "pgoutput".to_owned(),
                    publication: "dbz_publication".to_owned(),
                    tables: None,
                    user: None,
                    snapshot_mode: None,
                    outbox: None,
                }),
                name,
            }
        })
        .collect();
    ConnectCluster { connectors, rest_url: "http://connect:8083".to_owned(), ..ConnectCluster::default() }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_server ADDR [CONNECTORS] [TASKS_PER_CONNECTOR]";
    let address: std::net::SocketAddr = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let connectors: usize = args.next().map_or(2_000, |arg| arg.parse().expect(usage));
    let tasks: u32 = args.next().map_or(4, |arg| arg.parse().expect(usage));

    let store = Arc::new(Store::new([(debezium_exporter::catalog::SourceKind::Connect, "bench".to_owned())]));
    let observation: Arc<dyn Observation> = Arc::new(cluster(connectors, tasks));
    store.update(&store.targets()[0], |state| {
        state.polled = true;
        state.up = true;
        state.last_success = Some(std::time::SystemTime::now());
        state.observation = Some(observation);
    });
    let state = Arc::new(AppState::new(store, "/metrics".to_owned(), HashMap::new()));

    // The same runtime `debezium-exporter serve` builds: one worker thread per core.
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address).await.expect("cannot listen");
        println!("bench_server: {connectors} connectors x {tasks} tasks on http://{address}/metrics");
        axum::serve(listener, server::app(state)).await.expect("server failed");
    });
}
