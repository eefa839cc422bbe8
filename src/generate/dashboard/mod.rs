//! The Grafana dashboard: one row per concern, every panel's query built from catalog
//! constants. Panel ids are fixed in `generate::panel` (not positions), so alerts'
//! `dashboard_url` links and people's bookmarks survive new panels.
//!
//! The rows are in one file per concern (`connect`, `debezium`, `postgres`, `kafka`,
//! `exporter`), what they are made of in [`model`], and their Grafana JSON in `json`.

mod connect;
mod debezium;
mod exporter;
mod json;
mod kafka;
pub mod model;
mod postgres;

pub use json::{IMPORT_INPUT, TITLE, UID, import_variant};
pub use model::{Panel, Query, Row, Variable, Visualization, variables};
use serde_json::Value;

use crate::config::generate::Settings;
use crate::generate::lang::Lang;
use crate::generate::panel::PanelId;
use crate::generate::rules::Alert;

/// Every row, top to bottom.
pub fn rows(settings: &Settings, alerts: &[Alert]) -> Vec<Row> {
    vec![
        connect::row(),
        debezium::streaming_row(settings),
        debezium::snapshot_row(),
        postgres::slots_row(settings),
        postgres::outbox_row(settings),
        kafka::kafka_row(),
        exporter::source_health_row(),
        exporter::alerts_row(alerts),
    ]
}

/// The dashboard for file provisioning and the sidecar: the datasource is a variable; titles
/// and descriptions in `lang`.
pub fn dashboard(settings: &Settings, alerts: &[Alert], lang: Lang) -> Value {
    json::dashboard(&rows(settings, alerts), lang)
}

/// The dashboard variables a panel's queries filter by.
pub fn panel_variables(settings: &Settings, id: PanelId) -> Vec<&'static str> {
    let panels: Vec<Panel> = rows(settings, &[]).into_iter().flat_map(|row| row.panels).collect();
    let Some(panel) = panels.iter().find(|panel| panel.id == id) else { return Vec::new() };
    variables()
        .into_iter()
        .map(|variable| variable.label)
        .filter(|label| panel.queries.iter().any(|query| query.expr.contains(&format!("\"${label}\""))))
        .collect()
}

/// Link to the panel that shows `alert`, filtered by the alert's own label for each variable
/// the panel filters by. A label of the same name that the panel does not filter by may mean
/// something else: Kafka alerts' `cluster` is the Kafka cluster, not the Connect cluster of the
/// `cluster` variable, and the Kafka panels are not filtered by it.
pub fn panel_url(settings: &Settings, alert: &Alert) -> String {
    let mut url =
        format!("{}/d/{UID}/debezium-cdc?viewPanel={}", settings.grafana_url.trim_end_matches('/'), alert.panel.0);
    let filtered = panel_variables(settings, alert.panel);
    for variable in variables() {
        if filtered.contains(&variable.label) && alert.example.label(variable.label).is_some() {
            // Percent-encoded as a query value: a connector named `a&b` or `#1` must not end
            // the value or start a fragment.
            url.push_str(&format!("&var-{0}={{{{ $labels.{0} | urlquery }}}}", variable.label));
        }
    }
    url
}
