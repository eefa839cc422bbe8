//! Snapshot → Prometheus text exposition. Pure: no I/O, no await.

use std::time::UNIX_EPOCH;

use prometheus::TextEncoder;
use prometheus::proto::{Counter, Gauge, LabelPair, Metric as ProtoMetric, MetricFamily, MetricType};

use crate::catalog::{self, Kind};
use crate::snapshot::{Facts, Samples, Store, TargetState};
use crate::source::ErrorReason;

/// The build this binary is, for `debezium_exporter_build_info`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const REVISION: &str = env!("DEBEZIUM_EXPORTER_REVISION");

/// Gathers every sample the store's current state implies: self-metrics and every observation.
pub fn collect(store: &Store) -> Samples {
    let states: Vec<(&str, &str, TargetState)> =
        store.targets().iter().map(|target| (target.source, target.name.as_str(), target.state())).collect();

    let mut facts =
        Facts { connect_configured: states.iter().any(|(source, ..)| *source == "connect"), ..Facts::default() };
    facts.jmx.bridges_configured = states.iter().filter(|(source, ..)| crate::sources::jmx::is_bridge(source)).count();
    for (_, name, state) in &states {
        if let Some(observation) = &state.observation {
            observation.share(name, &mut facts);
        }
    }

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
pub fn encode(samples: &Samples) -> String {
    let families: Vec<MetricFamily> = catalog::all()
        .filter_map(|metric| {
            let series = samples.get(metric);
            if series.is_empty() {
                return None;
            }
            let mut family = MetricFamily::default();
            family.set_name(metric.name.to_owned());
            family.set_help(metric.help.to_owned());
            family.set_field_type(match metric.kind {
                Kind::Gauge => MetricType::GAUGE,
                Kind::Counter => MetricType::COUNTER,
            });
            family.set_metric(series.iter().map(|(values, value)| proto_metric(metric, values, *value)).collect());
            Some(family)
        })
        .collect();
    TextEncoder::new().encode_to_string(&families).expect("catalog metrics are valid families")
}

fn proto_metric(metric: &catalog::Metric, values: &[String], value: f64) -> ProtoMetric {
    let labels = metric
        .labels
        .iter()
        .zip(values)
        .map(|(name, value)| {
            let mut pair = LabelPair::default();
            pair.set_name((*name).to_owned());
            pair.set_value(value.clone());
            pair
        })
        .collect();
    let mut proto = ProtoMetric::from_label(labels);
    match metric.kind {
        Kind::Gauge => {
            let mut gauge = Gauge::default();
            gauge.set_value(value);
            proto.set_gauge(gauge);
        }
        Kind::Counter => {
            let mut counter = Counter::default();
            counter.set_value(value);
            proto.set_counter(counter);
        }
    }
    proto
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::snapshot::Observation;
    use crate::sources::connect::{ClusterState, Connector, DebeziumConfig, State, Task};

    fn connector(name: &str, state: State, task_states: &[State]) -> Connector {
        Connector {
            name: name.to_owned(),
            kind: "source".to_owned(),
            class: "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
            state: Some(state),
            worker_id: "127.0.0.1:8083".to_owned(),
            trace_head: None,
            tasks: task_states
                .iter()
                .enumerate()
                .map(|(id, state)| Task {
                    id: id as u32,
                    state: Some(*state),
                    worker_id: "127.0.0.1:8083".to_owned(),
                    trace_head: None,
                })
                .collect(),
            debezium: Some(DebeziumConfig {
                database: "inventory".to_owned(),
                slot: format!("{name}_slot"),
                topic_prefix: name.to_owned(),
                plugin: "pgoutput".to_owned(),
            }),
        }
    }

    fn store_with(connectors: Vec<Connector>) -> Store {
        let store = Store::new([("connect", "dc1".to_owned())]);
        let observation: Arc<dyn Observation> = Arc::new(ClusterState { connectors });
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
        let observation: Arc<dyn Observation> =
            Arc::new(ClusterState { connectors: vec![connector("a", State::Running, &[State::Running])] });
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
