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
    use super::*;

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
}
