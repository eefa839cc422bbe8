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
