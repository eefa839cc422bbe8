//! Snapshot → Prometheus text exposition. Pure: no I/O, no await.

use std::io;
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

/// Encodes samples as text exposition format 0.0.4, families in catalog order: [`write`] into
/// a `String`.
pub fn encode(samples: &Samples) -> String {
    let mut text = Vec::with_capacity(4096);
    write(samples, &mut text).expect("writing to a Vec cannot fail");
    String::from_utf8(text).expect("the exposition is written from strings")
}

/// Writes samples as text exposition format 0.0.4, families in catalog order, into `out`: a
/// pre-sized buffer, or the gzip encoder itself, so that no other copy of the text is made
/// (at 8,000 connectors it is 37 MB; docs/soak.md). `out` gets many small writes: buffer it
/// unless it is a `Vec`.
///
/// Written here rather than with the `prometheus` crate's encoder, which cannot write
/// `untyped` families (see `Kind::Untyped`) and would need a protobuf-shaped copy of every
/// sample first.
pub fn write(samples: &Samples, out: &mut impl io::Write) -> io::Result<()> {
    for metric in catalog::all() {
        let series = samples.get(metric);
        if series.is_empty() {
            continue;
        }
        out.write_all(b"# HELP ")?;
        out.write_all(metric.name.as_bytes())?;
        out.write_all(b" ")?;
        write_escaped(out, metric.help, false)?;
        writeln!(out, "\n# TYPE {} {}", metric.name, metric.kind.as_str())?;
        for (values, value) in series {
            out.write_all(metric.name.as_bytes())?;
            if !metric.labels.is_empty() {
                out.write_all(b"{")?;
                for (index, (name, value)) in metric.labels.iter().zip(values).enumerate() {
                    if index > 0 {
                        out.write_all(b",")?;
                    }
                    out.write_all(name.as_bytes())?;
                    out.write_all(b"=\"")?;
                    write_escaped(out, value, true)?;
                    out.write_all(b"\"")?;
                }
                out.write_all(b"}")?;
            }
            out.write_all(b" ")?;
            write_value(out, *value)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
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

/// `\\` and newline escaped, and `"` too in a label value (not in HELP text).
fn write_escaped(out: &mut impl io::Write, text: &str, label_value: bool) -> io::Result<()> {
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '\\' || c == '\n' || (label_value && c == '"')) {
        out.write_all(&rest.as_bytes()[..at])?;
        out.write_all(match rest.as_bytes()[at] {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            _ => b"\\\"",
        })?;
        rest = &rest[at + 1..];
    }
    out.write_all(rest.as_bytes())
}

fn write_value(out: &mut impl io::Write, value: f64) -> io::Result<()> {
    if value.is_nan() {
        out.write_all(b"NaN")
    } else if value.is_infinite() {
        out.write_all(if value > 0.0 { b"+Inf" } else { b"-Inf" })
    } else {
        write!(out, "{value}")
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
