//! The example pipeline every promtool test is written on (the alerts' examples and the
//! recording rules'): one Connect cluster with one Debezium connector on one database, slot and
//! outbox table, scraped from one exporter; the series the exporter emits for it; and
//! promtool's notation for their values.

use std::time::Duration;

use super::promql::Selector;
use crate::catalog::{self, State, WAL_STATUSES};
use crate::config::generate::Settings;

/// One input series of a promtool test: a selector naming every label, and its values in
/// promtool's expanding notation (`1x30`).
#[derive(Debug, Clone)]
pub struct ExampleSeries {
    pub selector: Selector,
    pub values: String,
}

/// How long every example series lasts, in one-minute samples; `for` durations must be shorter.
pub const SERIES_MINUTES: u32 = 240;

/// promtool evaluates the examples at this interval; their series have one sample per step.
pub const STEP: Duration = Duration::from_secs(60);

/// A series with the same value at every step.
pub fn constant(selector: Selector, value: u32) -> ExampleSeries {
    ExampleSeries { selector, values: format!("{value}x{SERIES_MINUTES}") }
}

/// The same value at every step.
pub fn flat(value: impl std::fmt::Display) -> String {
    format!("{value}x{SERIES_MINUTES}")
}

/// Values in promtool's notation: `start`, then `step` added each minute.
pub fn linear(start: f64, step: f64) -> String {
    let sign = if step < 0.0 { '-' } else { '+' };
    format!("{start}{sign}{}x{SERIES_MINUTES}", step.abs())
}

// The example pipeline's names.
pub const CLUSTER: &str = "connect-prod";
pub const CONNECTOR: &str = "outbox-connector";
pub const EXPORTER_INSTANCE: &str = "debezium-exporter:9543";
pub const DATABASE: &str = "inventory";
pub const SLOT: &str = "debezium";
pub const OUTBOX_TABLE: &str = "public.outbox";
/// The `server` label of the example connector's Debezium MBeans: its `topic.prefix`.
pub const SERVER: &str = "outbox";
pub const KAFKA_CLUSTER: &str = "kafka-prod";

/// The other exporter of an HA pair: same config, same upstreams, its own `instance`.
pub const SECOND_EXPORTER_INSTANCE: &str = "debezium-exporter-2:9543";

/// The series the second exporter of an HA pair stores for the same upstream object: the
/// example series with the other `instance`; `None` for a series no exporter scrapes.
pub fn on_second_exporter(series: &ExampleSeries) -> Option<ExampleSeries> {
    let selector = series.selector.replaced("instance", SECOND_EXPORTER_INSTANCE)?;
    Some(ExampleSeries { selector, values: series.values.clone() })
}

/// The example series as an HA pair of exporters stores them: each one scraped from both.
pub fn ha_pair(series: &[ExampleSeries]) -> Vec<ExampleSeries> {
    series.iter().cloned().chain(series.iter().filter_map(on_second_exporter)).collect()
}

/// A series as the exporter's scrape job stores it.
pub fn scraped(selector: Selector, settings: &Settings) -> Selector {
    selector.eq("job", settings.exporter_job.clone()).eq("instance", EXPORTER_INSTANCE)
}

/// The labels of a series the exporter's scrape job stores, as an alert keeps them.
pub fn scraped_labels(settings: &Settings, labels: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut all: Vec<(&'static str, String)> =
        labels.iter().map(|(label, value)| (*label, (*value).to_owned())).collect();
    all.push(("job", settings.exporter_job.clone()));
    all.push(("instance", EXPORTER_INSTANCE.to_owned()));
    all
}

// The series the exporter emits for it, by upstream.

/// What the exporter emits for one connector in `state`: one series per state, 1 for its own.
pub fn connector_in(state: State, settings: &Settings) -> Vec<ExampleSeries> {
    State::ALL
        .into_iter()
        .map(|each| {
            let selector = Selector::of(&catalog::CONNECTOR_STATE)
                .eq("cluster", CLUSTER)
                .eq("connector", CONNECTOR)
                .eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

/// The worker-level counts for a cluster whose only connector is in `state`.
pub fn worker_with_one_connector_in(state: State, settings: &Settings) -> Vec<ExampleSeries> {
    State::ALL
        .into_iter()
        .map(|each| {
            let selector =
                Selector::of(&catalog::WORKER_CONNECTOR_COUNT).eq("cluster", CLUSTER).eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

pub fn task_in(task: &'static str, state: State, settings: &Settings) -> Vec<ExampleSeries> {
    State::ALL
        .into_iter()
        .map(|each| {
            let selector = Selector::of(&catalog::CONNECTOR_TASK_STATE)
                .eq("cluster", CLUSTER)
                .eq("connector", CONNECTOR)
                .eq("task", task)
                .eq("state", each.label());
            constant(scraped(selector, settings), u32::from(each == state))
        })
        .collect()
}

/// A Debezium MBean series of the example connector, as the exporter emits it.
pub fn bean(metric: &'static catalog::Metric, values: String, settings: &Settings) -> ExampleSeries {
    let selector = Selector::of(metric).eq("cluster", CLUSTER).eq("connector", CONNECTOR).eq("server", SERVER);
    ExampleSeries { selector: scraped(selector, settings), values }
}

pub fn bean_labels(settings: &Settings) -> Vec<(&'static str, String)> {
    scraped_labels(settings, &[("cluster", CLUSTER), ("connector", CONNECTOR), ("server", SERVER)])
}

/// Whether the example connector streams, as the exporter reads it from Debezium's MBeans.
pub fn streaming(value: u32, settings: &Settings) -> ExampleSeries {
    let selector = Selector::of(&catalog::CONNECTOR_STREAMING).eq("cluster", CLUSTER).eq("connector", CONNECTOR);
    constant(scraped(selector, settings), value)
}

/// Whether the example connector's snapshot runs.
pub fn snapshot_running(value: u32, settings: &Settings) -> ExampleSeries {
    bean(&catalog::SNAPSHOT_RUNNING, flat(value), settings)
}

/// How long the example connector's snapshot has run, if it started `started` minutes before
/// time 0.
pub fn snapshot_age(started: u64, settings: &Settings) -> ExampleSeries {
    bean(&catalog::SNAPSHOT_DURATION_SECONDS, linear((started * 60) as f64, 60.0), settings)
}

/// The beans of a snapshot that starts at minute `started`, and has reported no row yet.
pub fn young_snapshot(started: u64, settings: &Settings) -> Vec<ExampleSeries> {
    let from_then = |values: &str| format!("_x{started} {values}x{}", u64::from(SERIES_MINUTES) - started);
    vec![
        bean(&catalog::SNAPSHOT_RUNNING, from_then("1"), settings),
        bean(&catalog::SNAPSHOT_DURATION_SECONDS, from_then("0+60"), settings),
    ]
}

/// The rows the example connector's snapshot has read from one table.
pub fn rows_scanned(values: String, settings: &Settings) -> ExampleSeries {
    let selector = Selector::of(&catalog::ROWS_SCANNED)
        .eq("cluster", CLUSTER)
        .eq("connector", CONNECTOR)
        .eq("server", SERVER)
        .eq("table", "public.new_module_table");
    ExampleSeries { selector: scraped(selector, settings), values }
}

/// The failed records of the example connector's task 0.
pub fn failed_records(values: &str, settings: &Settings) -> ExampleSeries {
    let selector = Selector::of(&catalog::NUMBER_OF_FAILED_RECORDS)
        .eq("cluster", CLUSTER)
        .eq("connector", CONNECTOR)
        .eq("task", "0");
    ExampleSeries { selector: scraped(selector, settings), values: values.to_owned() }
}

/// A slot series of the example pipeline as the exporter emits it; `claimed` adds the
/// `connector` label the exporter joins from Connect (Prometheus drops an empty label).
pub fn slot_selector(metric: &'static catalog::Metric, claimed: bool, settings: &Settings) -> Selector {
    let selector =
        Selector::of(metric).eq("db", DATABASE).eq("slot", SLOT).eq("slot_type", "logical").eq("plugin", "pgoutput");
    scraped(if claimed { selector.eq("connector", CONNECTOR) } else { selector }, settings)
}

/// `debezium_connector_info` of the example connector, which reads the example slot.
pub fn connector_info(settings: &Settings) -> ExampleSeries {
    let selector = Selector::of(&catalog::DEBEZIUM_CONNECTOR_INFO)
        .eq("cluster", CLUSTER)
        .eq("connector", CONNECTOR)
        .eq("database", DATABASE)
        .eq("slot", SLOT)
        .eq("topic_prefix", "outbox")
        .eq("plugin", "pgoutput");
    constant(scraped(selector, settings), 1)
}

/// `series` (a constant 1, like an info series) as Prometheus holds it when Connect stops
/// answering for `minutes` after minute 4: the exporter drops it (a stale marker), then renders
/// it again.
pub fn connect_outage(series: ExampleSeries, minutes: u32) -> ExampleSeries {
    debug_assert!(series.values == flat(1), "a constant 1, like an info series");
    let values = format!("1x3 stale _x{} 1x{}", minutes - 1, SERIES_MINUTES - 4 - minutes);
    ExampleSeries { values, ..series }
}

/// A claimed slot's series plus the connector info it joins with.
pub fn claimed_slot(metric: &'static catalog::Metric, values: String, settings: &Settings) -> Vec<ExampleSeries> {
    vec![ExampleSeries { selector: slot_selector(metric, true, settings), values }, connector_info(settings)]
}

/// The example slot's `wal_status` series, 1 for `current`.
pub fn wal_status(current: &str, settings: &Settings) -> Vec<ExampleSeries> {
    WAL_STATUSES
        .into_iter()
        .map(|status| {
            let selector = slot_selector(&catalog::REPLICATION_SLOT_WAL_STATUS, true, settings).eq("status", status);
            constant(selector, u32::from(status == current))
        })
        .chain([connector_info(settings)])
        .collect()
}

/// The labels of an alert on the example slot; `extra` for labels beyond the slot's own.
pub fn slot_labels(settings: &Settings, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut labels = vec![
        ("db", DATABASE),
        ("slot", SLOT),
        ("slot_type", "logical"),
        ("plugin", "pgoutput"),
        ("connector", CONNECTOR),
        ("cluster", CLUSTER),
    ];
    labels.extend_from_slice(extra);
    scraped_labels(settings, &labels)
}

pub fn outbox_selector(metric: &'static catalog::Metric, settings: &Settings) -> Selector {
    scraped(Selector::of(metric).eq("db", DATABASE).eq("table", OUTBOX_TABLE), settings)
}
