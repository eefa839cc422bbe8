//! Snapshot → Prometheus text exposition. Pure: no I/O, no await.

use std::fmt::Write;
use std::time::UNIX_EPOCH;

use crate::catalog;
use crate::catalog::ErrorReason;
use crate::snapshot::{Samples, Store, TargetState};

/// The build this binary is, for `debezium_exporter_build_info`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const REVISION: &str = env!("DEBEZIUM_EXPORTER_REVISION");

/// Gathers every sample the store's current state implies: self-metrics and every observation.
pub fn collect(store: &Store) -> Samples {
    let states: Vec<(&str, &str, TargetState)> =
        store.targets().iter().map(|target| (target.source.as_str(), target.name.as_str(), target.state())).collect();

    let facts = store.facts();

    let mut out = Samples::default();
    out.push(&catalog::BUILD_INFO, [VERSION, REVISION], 1.0);
    for (source, name, state) in &states {
        out.push(&catalog::SOURCE_UP, [*source, *name], if state.up { 1.0 } else { 0.0 });
        out.push(&catalog::POLL_DURATION_SECONDS, [*source, *name], state.last_duration.as_secs_f64());
        let last_success = state
            .last_success
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0.0, |since| since.as_secs_f64());
        out.push(&catalog::LAST_SUCCESS_TIMESTAMP_SECONDS, [*source, *name], last_success);
        for reason in ErrorReason::ALL {
            let count = state.errors.get(&reason).copied().unwrap_or(0);
            out.push(&catalog::POLL_ERRORS_TOTAL, [*source, *name, reason.as_str()], count as f64);
        }
        if let Some(observation) = &state.observation {
            observation.render(name, &facts, &mut out);
        }
    }
    out
}

/// Encodes samples as text exposition format 0.0.4, families in catalog order.
///
/// Written here rather than with the `prometheus` crate's encoder, which cannot write
/// `untyped` families (see `Kind::Untyped`) and would need a protobuf-shaped copy of every
/// sample first.
pub fn encode(samples: &Samples) -> String {
    let mut text = String::with_capacity(4096);
    for metric in catalog::all() {
        let series = samples.get(metric);
        if series.is_empty() {
            continue;
        }
        let _ = writeln!(text, "# HELP {} {}", metric.name, escape_help(metric.help));
        let _ = writeln!(text, "# TYPE {} {}", metric.name, metric.kind.as_str());
        for (values, value) in series {
            text.push_str(metric.name);
            if !metric.labels.is_empty() {
                text.push('{');
                for (index, (name, value)) in metric.labels.iter().zip(values).enumerate() {
                    if index > 0 {
                        text.push(',');
                    }
                    let _ = write!(text, "{name}=\"{}\"", escape_label_value(value));
                }
                text.push('}');
            }
            text.push(' ');
            write_value(&mut text, *value);
            text.push('\n');
        }
    }
    text
}

/// The exporter's own process metrics (CPU, memory, file descriptors), from the `prometheus`
/// crate's process collector.
pub fn encode_process_metrics() -> String {
    #[cfg(target_os = "linux")]
    {
        use prometheus::core::Collector;
        let families = prometheus::process_collector::ProcessCollector::for_self().collect();
        prometheus::TextEncoder::new().encode_to_string(&families).unwrap_or_default()
    }
    #[cfg(not(target_os = "linux"))]
    String::new()
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn write_value(text: &mut String, value: f64) {
    if value.is_nan() {
        text.push_str("NaN");
    } else if value.is_infinite() {
        text.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(text, "{value}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::SourceKind;
    use crate::catalog::State;
    use crate::snapshot::Observation;
    use crate::sources::connect::{ClusterState, Connector, DebeziumConfig, Task};

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
                snapshot_mode: None,
                outbox: None,
            }),
        }
    }

    fn store_with(connectors: Vec<Connector>) -> Store {
        let store = Store::new([(SourceKind::Connect, "dc1".to_owned())]);
        let observation: Arc<dyn Observation> = Arc::new(ClusterState { connectors, ..ClusterState::default() });
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
    fn label_values_and_help_are_escaped_and_special_values_spelled_out() {
        let mut samples = Samples::default();
        samples.push(&catalog::SOURCE_UP, ["connect", "a\"b\\c\nd"], f64::NAN);
        samples.push(&catalog::SOURCE_UP, ["connect", "x"], f64::INFINITY);
        samples.push(&catalog::SOURCE_UP, ["connect", "y"], 0.25);
        let text = encode(&samples);
        assert!(text.contains(r#"debezium_exporter_source_up{source="connect",target="a\"b\\c\nd"} NaN"#), "{text}");
        assert!(text.contains(r#"target="x"} +Inf"#) && text.contains(r#"target="y"} 0.25"#), "{text}");
    }

    #[test]
    fn process_metrics_come_from_the_prometheus_crate() {
        let text = encode_process_metrics();
        if cfg!(target_os = "linux") {
            assert!(text.contains("process_resident_memory_bytes"), "{text}");
        }
    }

    #[test]
    fn every_state_is_counted_even_at_zero() {
        let store =
            store_with(vec![connector("a", State::Failed, &[]), connector("b", State::Running, &[State::Running])]);
        let samples = collect(&store);
        let counts = samples.get(&catalog::WORKER_CONNECTOR_COUNT);
        assert_eq!(counts.len(), State::ALL.len());
        let failed = counts.iter().find(|(labels, _)| labels[1] == "failed").unwrap();
        assert_eq!(
            failed.1, 1.0,
            "the runbook's `kafka_connect_worker_connector_count{{state=\"failed\"}} > 0` must hold"
        );
        let paused = counts.iter().find(|(labels, _)| labels[1] == "paused").unwrap();
        assert_eq!(paused.1, 0.0);
    }

    #[test]
    fn a_connector_gone_upstream_is_gone_from_the_next_rendering() {
        let store =
            store_with(vec![connector("a", State::Running, &[State::Running]), connector("b", State::Running, &[])]);
        assert!(encode(&collect(&store)).contains("connector=\"b\""));
        let observation: Arc<dyn Observation> = Arc::new(ClusterState {
            connectors: vec![connector("a", State::Running, &[State::Running])],
            ..ClusterState::default()
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
}
