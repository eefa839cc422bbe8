//! Every metric the exporter can emit: name, help, type and label names.
//!
//! This is the single source of truth shared by the exporter (sources and render), the
//! generator (alert rules, dashboards) and the README's metrics reference. Sources refer to
//! the constants here, never to metric names as strings.

mod cause;
mod connect;
mod exporter;
mod jmx;
mod kafka;
mod labels;
mod lang;
mod metric;
mod postgres;
mod runbook;
mod units;

pub use cause::{FailureCause, Restart};
pub use connect::*;
pub use exporter::*;
pub use jmx::*;
pub use kafka::*;
pub use labels::*;
pub use lang::Lang;
pub use metric::{Kind, Metric};
pub use postgres::*;
pub use runbook::Anchor;
pub use units::bytes_text;

/// Every metric, in the order they are rendered and documented.
pub fn all() -> impl Iterator<Item = &'static Metric> {
    exporter::ALL
        .iter()
        .chain(connect::ALL.iter())
        .chain(jmx::ALL.iter())
        .chain(postgres::ALL.iter())
        .chain(kafka::ALL.iter())
        .copied()
}

/// Looks a metric up by name; the generator uses it to refuse names nobody emits.
pub fn find(name: &str) -> Option<&'static Metric> {
    all().find(|metric| metric.name == name)
}

/// The catalog as a Markdown table: the README's metrics reference.
pub fn markdown_table() -> String {
    let mut table = String::from("| metric | type | labels | source | help |\n|---|---|---|---|---|\n");
    for metric in all() {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            metric.name,
            metric.kind.as_str(),
            metric.labels.iter().map(|label| format!("`{label}`")).collect::<Vec<_>>().join(", "),
            metric.source,
            metric.help.replace('|', "\\|"),
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_follow_prometheus_conventions() {
        let mut seen = HashSet::new();
        for metric in all() {
            assert!(seen.insert(metric.name), "{} is defined twice", metric.name);
            let valid = metric.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            assert!(valid, "{} is not a lowercase snake_case name", metric.name);
            assert_eq!(
                metric.kind == Kind::Counter,
                metric.name.ends_with("_total"),
                "{}: `_total` is for counters and counters only",
                metric.name
            );
            assert!(
                !metric.name.contains("milli") || metric.name.starts_with("debezium_metrics_"),
                "{}: use base units",
                metric.name
            );
            assert!(!metric.help.is_empty(), "{} has no help", metric.name);
            assert_eq!(
                metric.kind == Kind::Untyped,
                metric.name.ends_with("_count"),
                "{}: `_count` names are untyped (Prometheus reserves the suffix), and only they",
                metric.name
            );
            let mut labels = HashSet::new();
            assert!(metric.labels.iter().all(|label| labels.insert(label)), "{} repeats a label", metric.name);
        }
    }

    #[test]
    fn markdown_table_lists_every_metric() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), 2 + all().count());
        assert!(table.contains("`kafka_connect_worker_connector_count` | untyped | `cluster`, `state`"));
    }
}
