//! The alert rules, typed: each one is built from catalog constants and carries its own
//! example (series that make it fire and series that must not), from which the promtool test
//! cases are generated.
//!
//! One file per rule group, one function per alert; the model is in [`model`], the example
//! pipeline the examples are written on in `generate::fixture`, the slot alerts' join with
//! Connect in `slots`. Adding an alert for a new catalog metric is one more function in its
//! group's file, listed in that file's `alerts`.

mod connect;
mod debezium;
mod exporter;
mod freshness;
mod kafka;
pub mod model;
mod postgres;
mod slots;
mod snapshot;

pub use connect::{CONNECTOR_FAILED, TASK_FAILED};
pub use model::{Alert, Example, Group, Implied, Variant, healthy_checked_at};
pub use slots::CONNECTOR_INFO_LOOKBACK;

use crate::config::generate::Settings;

/// The alerts whose firing mutes the `muted_by_failed_connector` alerts of the same pipeline.
pub const PIPELINE_FAILURES: [&str; 2] = [CONNECTOR_FAILED, TASK_FAILED];

/// Every rule group, in file order.
pub fn groups(settings: &Settings) -> Vec<Group> {
    vec![
        Group { name: "debezium-exporter.connect", alerts: connect::alerts(settings) },
        Group {
            name: "debezium-exporter.debezium",
            alerts: [debezium::alerts(settings), vec![snapshot::debezium_snapshot_stalled(settings)]].concat(),
        },
        Group { name: "debezium-exporter.freshness", alerts: freshness::alerts(settings) },
        Group { name: "debezium-exporter.postgres", alerts: postgres::alerts(settings) },
        Group { name: "debezium-exporter.kafka", alerts: kafka::alerts(settings) },
        Group { name: "debezium-exporter.self", alerts: exporter::alerts(settings) },
    ]
}

/// Every alert, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    groups(settings).into_iter().flat_map(|group| group.alerts).collect()
}
