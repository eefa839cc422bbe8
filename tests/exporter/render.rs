//! The store rendered as the exposition `/metrics` serves, from a Connect cluster's observation:
//! the golden file, zero counts and series that vanish with their upstream.

use std::sync::Arc;

use debezium_exporter::catalog::{self, SourceKind, State};
use debezium_exporter::render::{REVISION, VERSION, collect, encode};
use debezium_exporter::snapshot::{Observation, Store};
use debezium_exporter::sources::connect::{ConnectCluster, Connector, DebeziumConfig, Task};

fn connector(name: &str, state: State, task_states: &[State]) -> Connector {
    Connector {
        name: name.to_owned(),
        kind: "source".to_owned(),
        class: "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
        state: Some(state),
        worker_id: "127.0.0.1:8083".to_owned(),
        trace: None,
        tasks: task_states
            .iter()
            .enumerate()
            .map(|(id, state)| Task {
                id: id as u32,
                state: Some(*state),
                worker_id: "127.0.0.1:8083".to_owned(),
                trace: None,
            })
            .collect(),
        debezium: Some(DebeziumConfig {
            database: "inventory".to_owned(),
            slot: format!("{name}_slot"),
            topic_prefix: name.to_owned(),
            plugin: "pgoutput".to_owned(),
            publication: "dbz_publication".to_owned(),
            tables: None,
            user: None,
            snapshot_mode: None,
            outbox: None,
        }),
    }
}

fn store_with(connectors: Vec<Connector>) -> Store {
    let store = Store::new([(SourceKind::Connect, "dc1".to_owned())]);
    let observation: Arc<dyn Observation> = Arc::new(ConnectCluster { connectors, ..ConnectCluster::default() });
    store.update(&store.targets()[0], |state| {
        state.polled = true;
        state.up = true;
        state.observation = Some(observation);
    });
    store
}

#[test]
fn golden_exposition_for_one_failed_task() {
    let store = store_with(vec![connector("inventory", State::Running, &[State::Failed])]);
    let text = encode(&collect(&store));
    let golden =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/golden/one-failed-task.prom"))
            .expect("golden file");
    let text = text
        .replace(&format!("revision=\"{REVISION}\""), "revision=\"REVISION\"")
        .replace(&format!("version=\"{VERSION}\""), "version=\"VERSION\"");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/golden/one-failed-task.prom"), &text)
            .unwrap();
    }
    assert_eq!(text, golden, "rendering changed; rerun with UPDATE_GOLDEN=1 if that is intended");
}

#[test]
fn every_state_is_counted_even_at_zero() {
    let store = store_with(vec![connector("a", State::Failed, &[]), connector("b", State::Running, &[State::Running])]);
    let samples = collect(&store);
    let counts = samples.get(&catalog::WORKER_CONNECTOR_COUNT);
    assert_eq!(counts.len(), State::ALL.len());
    let failed = counts.iter().find(|(labels, _)| labels[1] == "failed").unwrap();
    assert_eq!(failed.1, 1.0, "the runbook's `kafka_connect_worker_connector_count{{state=\"failed\"}} > 0` must hold");
    let paused = counts.iter().find(|(labels, _)| labels[1] == "paused").unwrap();
    assert_eq!(paused.1, 0.0);
}

#[test]
fn a_connector_gone_upstream_is_gone_from_the_next_rendering() {
    let store =
        store_with(vec![connector("a", State::Running, &[State::Running]), connector("b", State::Running, &[])]);
    assert!(encode(&collect(&store)).contains("connector=\"b\""));
    let observation: Arc<dyn Observation> = Arc::new(ConnectCluster {
        connectors: vec![connector("a", State::Running, &[State::Running])],
        ..ConnectCluster::default()
    });
    store.update(&store.targets()[0], |state| state.observation = Some(observation));
    assert!(!encode(&collect(&store)).contains("connector=\"b\""));
}

#[test]
fn a_failed_poll_drops_the_samples_but_keeps_the_self_metrics() {
    let store = store_with(vec![connector("a", State::Running, &[])]);
    store.update(&store.targets()[0], |state| {
        state.up = false;
        state.observation = None;
    });
    let text = encode(&collect(&store));
    assert!(!text.contains("kafka_connect_connector_state"));
    assert!(text.contains("debezium_exporter_source_up{source=\"connect\",target=\"dc1\"} 0"));
}
