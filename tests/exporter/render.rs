//! The store rendered as the exposition `/metrics` serves, from a Connect cluster's observation:
//! the golden file, zero counts and series that vanish with their upstream.

use std::sync::Arc;
use std::time::{Duration, Instant};

use debezium_exporter::catalog::{self, SourceKind, State};
use debezium_exporter::render::{REVISION, VERSION, collect, encode};
use debezium_exporter::snapshot::{LAST_KNOWN_FOR, Observation, Store, TargetState};
use debezium_exporter::sources::connect::{ConnectCluster, Connector, DebeziumConfig, Task};
use debezium_exporter::sources::postgres::{DatabaseState, Progress, Slot};

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

/// A Connect cluster `dc1` with connector `inventory` on slot `inventory_slot`, and database
/// `inventory` holding that slot.
fn store_with_a_claimed_slot() -> Store {
    let store = Store::new([(SourceKind::Connect, "dc1".to_owned()), (SourceKind::Postgres, "inventory".to_owned())]);
    let cluster: Arc<dyn Observation> = Arc::new(ConnectCluster {
        connectors: vec![connector("inventory", State::Running, &[State::Running])],
        ..ConnectCluster::default()
    });
    let database: Arc<dyn Observation> = Arc::new(DatabaseState {
        current_lsn: 2_000,
        slots: vec![Slot {
            name: "inventory_slot".to_owned(),
            slot_type: "logical".to_owned(),
            plugin: "pgoutput".to_owned(),
            database: "inventory".to_owned(),
            active: true,
            active_pid: None,
            restart_lsn: Some(1_000),
            confirmed_flush_lsn: Some(1_000),
            wal_status: None,
            safe_wal_size_bytes: None,
            inactive_seconds: 0.0,
            database_changes: Some(0),
            progress: Progress::default(),
        }],
        ..DatabaseState::default()
    });
    for (target, observation) in store.targets().iter().zip([cluster, database]) {
        store.update(target, |state| {
            state.polled = true;
            state.up = true;
            state.observed(observation);
        });
    }
    store
}

/// The `connector` label of the slot's lag series, and whether the slot reads as orphaned.
fn slot_claim(store: &Store) -> (String, f64) {
    let samples = collect(store);
    let lag = samples.get(&catalog::REPLICATION_SLOT_LAG_BYTES);
    let orphaned = samples.get(&catalog::REPLICATION_SLOT_ORPHANED);
    let connector = catalog::REPLICATION_SLOT_LAG_BYTES.labels.iter().position(|label| *label == "connector").unwrap();
    (lag[0].0[connector].clone(), orphaned[0].1)
}

#[test]
fn a_short_connect_outage_keeps_the_slots_connector_and_a_real_deletion_drops_it_at_once() {
    let store = store_with_a_claimed_slot();
    let connect = &store.targets()[0];
    assert_eq!(slot_claim(&store), ("inventory".to_owned(), 0.0));

    // The worker restarts: its own series go, the slot keeps its connector (same series, so an
    // alert's `for:` on it goes on) and is not orphaned.
    store.update(connect, |state| {
        state.up = false;
        state.lost();
    });
    let text = encode(&collect(&store));
    assert!(!text.contains("kafka_connect_connector_state"), "no stale Connect series: {text}");
    assert!(!text.contains("debezium_connector_info"), "no stale Connect series: {text}");
    assert_eq!(slot_claim(&store), ("inventory".to_owned(), 0.0));
    store.update(connect, TargetState::lost);
    assert_eq!(slot_claim(&store), ("inventory".to_owned(), 0.0), "a second failed poll changes nothing");

    // An outage longer than LAST_KNOWN_FOR: nobody is known to claim the slot any more.
    store.update(connect, |state| {
        let last = state.last_known.as_mut().unwrap();
        last.since = Instant::now().checked_sub(LAST_KNOWN_FOR + Duration::from_secs(1)).unwrap();
    });
    assert_eq!(slot_claim(&store), (String::new(), 1.0));
    store.update(connect, TargetState::lost);
    assert!(connect.state().last_known.is_none(), "the next failed poll frees it");

    // Connect answers again without the connector (deleted meanwhile): gone at once.
    let store = store_with_a_claimed_slot();
    let connect = &store.targets()[0];
    store.update(connect, |state| {
        state.up = false;
        state.lost();
    });
    let without: Arc<dyn Observation> = Arc::new(ConnectCluster::default());
    store.update(connect, |state| {
        state.up = true;
        state.observed(without);
    });
    assert!(connect.state().last_known.is_none());
    assert_eq!(slot_claim(&store), (String::new(), 1.0));
}
