//! Recording rules: the per-connector and per-database aggregations the dashboard and the
//! alerts read, precomputed by Prometheus in their own rule group.
//!
//! Each recorded series is a [`Metric`] like the catalog's, named the Prometheus way
//! (`level:metric:operations`, the level being the labels it keeps: an aggregation keeps only
//! those, a rule that does not aggregate also keeps the scrape's `job` and `instance`), so
//! panels and alerts select it with the same typed [`Selector`] and a test can check that
//! every recorded name an expression uses is produced here. Recording rules read only catalog
//! metrics, never another recorded series: groups are evaluated independently, and a chain
//! would lag one evaluation per link.
//!
//! In a live Prometheus, an alert reading a recorded series sees it as of the recording
//! group's last evaluation, at most one `evaluation_interval` old; thresholds and labels are
//! those of the raw expression. The promtool tests evaluate this group first
//! (`group_eval_order`), so their `for` boundaries are exact.
//!
//! An aggregation must hold under an HA pair of exporters (see [`once_per_upstream`]): each
//! rule has a second promtool case fed the same series from two `instance`s, which must record
//! what one exporter gives (a rule that keeps `instance` records it once per exporter).

use std::time::Duration;

use super::fixture::{CLUSTER, CONNECTOR, DATABASE, ExampleSeries, SERVER, flat, linear, scraped};
use super::promql::Selector;
use crate::catalog::{self, Kind, Metric};
use crate::config::generate::Settings;

/// The rule group of the recording rules; it comes first in the rule file.
pub const GROUP: &str = "debezium-exporter.recording";

/// Where recorded series come from (the `source` column of the README's reference).
const SOURCE: &str = "recording rule";

/// The window of the recorded rates: long enough for four scrapes at a 1m scrape interval.
const RATE_WINDOW: &str = "5m";

pub const EVENTS_SEEN_RATE: Metric = Metric {
    name: "cluster_connector:debezium_metrics_number_of_events_seen:rate5m",
    help: "Change events Debezium streams per second, per connector (over 5m).",
    kind: Kind::Gauge,
    labels: &["cluster", "connector"],
    source: SOURCE,
};

pub const STREAMING_LAG_MAX: Metric = Metric {
    name: "cluster_connector:debezium_metrics_milli_seconds_behind_source:max",
    help: "The largest streaming lag of each connector's Debezium beans, in milliseconds.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector"],
    source: SOURCE,
};

pub const QUEUE_FREE_RATIO: Metric = Metric {
    name: "cluster_connector_server:debezium_metrics_queue_remaining_capacity_per_total_capacity:ratio",
    help: "Free share (0-1) of the queue between Debezium's streamer and Kafka Connect.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "server"],
    source: SOURCE,
};

pub const WAL_WRITE_RATE: Metric = Metric {
    name: "db:pg_wal_current_lsn_bytes:rate5m",
    help: "WAL the database writes, in bytes per second (over 5m).",
    kind: Kind::Gauge,
    labels: &["db"],
    source: SOURCE,
};

/// One recording rule and the example its promtool test is generated from.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The recorded series: its name is the rule's `record`, its labels what the rule keeps.
    pub metric: &'static Metric,
    pub expr: String,
    pub example: RecordingExample,
}

/// Input series and the samples the rule must record from them at [`EXAMPLE_AT`].
#[derive(Debug, Clone)]
pub struct RecordingExample {
    pub input: Vec<ExampleSeries>,
    pub expected: Vec<(Selector, f64)>,
}

/// When the examples are checked: once the rate windows are full.
pub const EXAMPLE_AT: Duration = Duration::from_secs(10 * 60);

/// `expr` (series of `metric`) with one series per upstream object, however many exporters
/// scrape it. Two exporters of the same config (an HA pair) store every series twice, once
/// per `instance`; a `sum` across them doubles. The metric's own labels name the object; the
/// scrape's (`job`, `instance`, and on Kubernetes `pod`, `service`, ...) are dropped, so the
/// rule does not depend on how the exporters are scraped. The exporters read the same
/// upstream, so their values agree but for when each polled: `max` takes the freshest.
pub fn once_per_upstream(metric: &Metric, expr: String) -> String {
    format!("max by ({}) ({expr})", metric.labels.join(", "))
}

/// Every recording rule, in file order.
pub fn recordings(settings: &Settings) -> Vec<Recording> {
    const OTHER_CONNECTOR: &str = "orders-connector";
    let bean = |metric: &'static Metric, connector: &'static str, server: &'static str, values: String| ExampleSeries {
        selector: scraped(
            Selector::of(metric).eq("cluster", CLUSTER).eq("connector", connector).eq("server", server),
            settings,
        ),
        values,
    };
    let per_connector = |metric: &'static Metric, connector: &'static str| {
        Selector::of(metric).eq("cluster", CLUSTER).eq("connector", connector)
    };
    vec![
        Recording {
            metric: &EVENTS_SEEN_RATE,
            // Summed over a connector's beans, each bean once: an HA pair stores it twice.
            expr: format!(
                "sum by (cluster, connector) ({})",
                once_per_upstream(
                    &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL,
                    format!("rate({}[{RATE_WINDOW}])", Selector::of(&catalog::NUMBER_OF_EVENTS_SEEN_TOTAL))
                )
            ),
            example: RecordingExample {
                // 60 and 120 events a minute.
                input: vec![
                    bean(&catalog::NUMBER_OF_EVENTS_SEEN_TOTAL, CONNECTOR, SERVER, linear(0.0, 60.0)),
                    bean(&catalog::NUMBER_OF_EVENTS_SEEN_TOTAL, OTHER_CONNECTOR, "orders", linear(0.0, 120.0)),
                ],
                expected: vec![
                    (per_connector(&EVENTS_SEEN_RATE, CONNECTOR), 1.0),
                    (per_connector(&EVENTS_SEEN_RATE, OTHER_CONNECTOR), 2.0),
                ],
            },
        },
        Recording {
            metric: &STREAMING_LAG_MAX,
            expr: format!("max by (cluster, connector) ({})", Selector::of(&catalog::MILLI_SECONDS_BEHIND_SOURCE)),
            example: RecordingExample {
                input: vec![
                    bean(&catalog::MILLI_SECONDS_BEHIND_SOURCE, CONNECTOR, SERVER, flat(1500)),
                    bean(&catalog::MILLI_SECONDS_BEHIND_SOURCE, CONNECTOR, "outbox-replay", flat(250)),
                    bean(&catalog::MILLI_SECONDS_BEHIND_SOURCE, OTHER_CONNECTOR, "orders", flat(40)),
                ],
                expected: vec![
                    (per_connector(&STREAMING_LAG_MAX, CONNECTOR), 1500.0),
                    (per_connector(&STREAMING_LAG_MAX, OTHER_CONNECTOR), 40.0),
                ],
            },
        },
        Recording {
            metric: &QUEUE_FREE_RATIO,
            expr: format!(
                "{} / {}",
                Selector::of(&catalog::QUEUE_REMAINING_CAPACITY),
                Selector::of(&catalog::QUEUE_TOTAL_CAPACITY)
            ),
            example: RecordingExample {
                input: vec![
                    bean(&catalog::QUEUE_REMAINING_CAPACITY, CONNECTOR, SERVER, flat(4096)),
                    bean(&catalog::QUEUE_TOTAL_CAPACITY, CONNECTOR, SERVER, flat(8192)),
                ],
                expected: vec![(
                    scraped(per_connector(&QUEUE_FREE_RATIO, CONNECTOR).eq("server", SERVER), settings),
                    0.5,
                )],
            },
        },
        Recording {
            metric: &WAL_WRITE_RATE,
            expr: format!("rate({}[{RATE_WINDOW}])", Selector::of(&catalog::WAL_CURRENT_LSN_BYTES)),
            example: RecordingExample {
                // 6,000 bytes of WAL a minute.
                input: vec![ExampleSeries {
                    selector: scraped(Selector::of(&catalog::WAL_CURRENT_LSN_BYTES).eq("db", DATABASE), settings),
                    values: linear(16_777_216.0, 6_000.0),
                }],
                expected: vec![(scraped(Selector::of(&WAL_WRITE_RATE).eq("db", DATABASE), settings), 100.0)],
            },
        },
    ]
}

/// The recording rules as a Markdown table for the README.
pub fn markdown_table(recordings: &[Recording]) -> String {
    let mut table = String::from("| recorded series | labels | expression | help |\n|---|---|---|---|\n");
    for recording in recordings {
        table.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            recording.metric.name,
            recording.metric.labels.iter().map(|label| format!("`{label}`")).collect::<Vec<_>>().join(", "),
            recording.expr.replace('|', "\\|"),
            recording.metric.help,
        ));
    }
    table
}
