//! What a metric is: its name, help, type and label names.

/// How Prometheus should treat a metric's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
    /// A gauge whose name ends in `_count`, a suffix Prometheus reserves for histograms and
    /// summaries. The runbook's contract names (`kafka_connect_worker_connector_count`) come
    /// from jmx_exporter, which exposes them untyped; so do we, which keeps `promtool check
    /// metrics` clean without renaming what users already alert on.
    Untyped,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Untyped => "untyped",
        }
    }
}

/// One metric family as it appears on `/metrics`.
#[derive(Debug, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
    /// The upstream the metric comes from (the `source` of its `up` gauge).
    pub source: &'static str,
}
