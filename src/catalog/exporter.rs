//! The exporter's own health: one set of series per polled source target.

use super::metric::{Kind, Metric};

const SOURCE: &str = "exporter";

pub const SOURCE_UP: Metric = Metric {
    name: "debezium_exporter_source_up",
    help: "1 if the last poll of this source target succeeded, 0 if it failed or timed out.",
    kind: Kind::Gauge,
    labels: &["source", "target"],
    source: SOURCE,
};

pub const POLL_DURATION_SECONDS: Metric = Metric {
    name: "debezium_exporter_poll_duration_seconds",
    help: "How long the last poll of this source target took.",
    kind: Kind::Gauge,
    labels: &["source", "target"],
    source: SOURCE,
};

pub const LAST_SUCCESS_TIMESTAMP_SECONDS: Metric = Metric {
    name: "debezium_exporter_last_success_timestamp_seconds",
    help: "Unix time of the last successful poll of this source target (0 before the first).",
    kind: Kind::Gauge,
    labels: &["source", "target"],
    source: SOURCE,
};

pub const POLL_ERRORS_TOTAL: Metric = Metric {
    name: "debezium_exporter_poll_errors_total",
    help: "Failed polls of this source target by reason (timeout, connect, http_status, decode, too_large, query).",
    kind: Kind::Counter,
    labels: &["source", "target", "reason"],
    source: SOURCE,
};

pub const BUILD_INFO: Metric = Metric {
    name: "debezium_exporter_build_info",
    help: "Always 1; the labels say which build of debezium-exporter is running.",
    kind: Kind::Gauge,
    labels: &["version", "revision"],
    source: SOURCE,
};

pub(super) const ALL: &[&Metric] =
    &[&SOURCE_UP, &POLL_DURATION_SECONDS, &LAST_SUCCESS_TIMESTAMP_SECONDS, &POLL_ERRORS_TOTAL, &BUILD_INFO];
