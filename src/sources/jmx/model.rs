//! What one bridge showed of one Connect worker's JVM, whichever bridge read it.

use std::collections::BTreeMap;

use super::mapping::{self, ERRONEOUS_EVENTS, TASK, WORKER};
use super::parse::attribute_key;
use crate::catalog::MbeanContext;

/// Attribute values by folded name; only mapped attributes are kept.
pub type Attributes = BTreeMap<String, f64>;

/// One Debezium connector-metrics MBean (`server`, `context`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DebeziumBean {
    pub attributes: Attributes,
    /// Snapshot `RowsScanned`, by table.
    pub rows_scanned: BTreeMap<String, f64>,
}

/// What one bridge showed of one Connect worker's JVM.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// Keyed by (`server`, context).
    pub debezium: BTreeMap<(String, MbeanContext), DebeziumBean>,
    /// Keyed by (connector, task).
    pub tasks: BTreeMap<(String, String), Attributes>,
    pub worker: Attributes,
}

impl Reading {
    /// Records that a Debezium MBean exists, even with none of our attributes: the join needs to know.
    pub fn debezium_bean(&mut self, server: &str, context: MbeanContext) -> &mut DebeziumBean {
        self.debezium.entry((server.to_owned(), context)).or_default()
    }

    /// Records a Debezium attribute, if it is one we export.
    pub fn debezium_attribute(&mut self, server: &str, context: MbeanContext, attribute: &str, value: f64) {
        let key = attribute_key(attribute);
        let table = mapping::debezium(context);
        let bean = self.debezium_bean(server, context);
        if (mapping::mapped(table, &key) || key == ERRONEOUS_EVENTS) && value.is_finite() {
            bean.attributes.insert(key, value);
        }
    }

    pub fn rows_scanned(&mut self, server: &str, table: &str, rows: f64) {
        if rows.is_finite() {
            self.debezium_bean(server, MbeanContext::Snapshot).rows_scanned.insert(table.to_owned(), rows);
        }
    }

    /// Records a Connect task attribute, if it is one we export.
    pub fn task_attribute(&mut self, connector: &str, task: &str, attribute: &str, value: f64) {
        let key = attribute_key(attribute);
        if mapping::mapped(TASK, &key) && value.is_finite() {
            self.tasks.entry((connector.to_owned(), task.to_owned())).or_default().insert(key, value);
        }
    }

    /// Records a Connect worker attribute, if it is one we export.
    pub fn worker_attribute(&mut self, attribute: &str, value: f64) {
        let key = attribute_key(attribute);
        if mapping::mapped(WORKER, &key) && value.is_finite() {
            self.worker.insert(key, value);
        }
    }
}

/// A successful poll of one bridge: its reading, and the Connect cluster it was configured for.
#[derive(Debug)]
pub struct BridgeObservation {
    pub reading: Reading,
    /// `connect_cluster` of the bridge's config: restricts the join and gives `cluster`.
    pub connect_cluster: Option<String>,
}
