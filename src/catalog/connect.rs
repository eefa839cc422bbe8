//! Kafka Connect REST API: connector and task states, and the connector config keys that let
//! other sources join a connector to its replication slot and its Debezium MBeans.

use super::metric::{Kind, Metric};

const SOURCE: &str = "connect";

pub const WORKER_CONNECTOR_COUNT: Metric = Metric {
    name: "kafka_connect_worker_connector_count",
    help: "Connectors of this Connect cluster in each state; every state is present, 0 included.",
    kind: Kind::Untyped,
    labels: &["cluster", "state"],
    source: SOURCE,
};

pub const WORKER_TASK_COUNT: Metric = Metric {
    name: "kafka_connect_worker_task_count",
    help: "Tasks of this Connect cluster in each state; every state is present, 0 included.",
    kind: Kind::Untyped,
    labels: &["cluster", "state"],
    source: SOURCE,
};

pub const CONNECTOR_STATE: Metric = Metric {
    name: "kafka_connect_connector_state",
    help: "1 for the connector's current state, 0 for the others.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "state"],
    source: SOURCE,
};

pub const CONNECTOR_TASK_STATE: Metric = Metric {
    name: "kafka_connect_connector_task_state",
    help: "1 for the task's current state, 0 for the others. A RUNNING connector can have a FAILED task.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "task", "state"],
    source: SOURCE,
};

pub const CONNECTOR_FAILED_TASK_COUNT: Metric = Metric {
    name: "kafka_connect_connector_failed_task_count",
    help: "Tasks of this connector in the FAILED state.",
    kind: Kind::Untyped,
    labels: &["cluster", "connector"],
    source: SOURCE,
};

pub const TASK_FAILURE_CAUSE: Metric = Metric {
    name: "kafka_connect_task_failure_cause",
    help: "1 while the task is FAILED, with the cause its trace shows (a fixed set, `unknown` when none matches); absent otherwise.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "task", "cause"],
    source: SOURCE,
};

pub const CONNECTOR_FAILURE_CAUSE: Metric = Metric {
    name: "kafka_connect_connector_failure_cause",
    help: "1 while the connector itself is FAILED, with the cause its trace shows (a fixed set, `unknown` when none matches); absent otherwise.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "cause"],
    source: SOURCE,
};

pub const CONNECTOR_INFO: Metric = Metric {
    name: "kafka_connect_connector_info",
    help: "Always 1; the labels describe the connector.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "type", "class", "worker_id"],
    source: SOURCE,
};

pub const DEBEZIUM_CONNECTOR_INFO: Metric = Metric {
    name: "debezium_connector_info",
    help: "Always 1 for a Debezium connector; joins connector, database, replication slot and MBean server (topic_prefix).",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "database", "slot", "topic_prefix", "plugin"],
    source: SOURCE,
};

pub const SKIPPED_CONNECTORS: Metric = Metric {
    name: "kafka_connect_skipped_connectors",
    help: "Connectors the last poll of this Connect cluster listed but could not read (a name that is not valid Unicode, an entry of unexpected shape), left out of every other series; the log names each.",
    kind: Kind::Gauge,
    labels: &["cluster"],
    source: SOURCE,
};

pub(super) const ALL: &[&Metric] = &[
    &WORKER_CONNECTOR_COUNT,
    &WORKER_TASK_COUNT,
    &CONNECTOR_STATE,
    &CONNECTOR_TASK_STATE,
    &CONNECTOR_FAILED_TASK_COUNT,
    &CONNECTOR_FAILURE_CAUSE,
    &TASK_FAILURE_CAUSE,
    &CONNECTOR_INFO,
    &DEBEZIUM_CONNECTOR_INFO,
    &SKIPPED_CONNECTORS,
];
