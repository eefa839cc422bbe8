//! Debezium and Kafka Connect JMX MBeans, read over HTTP through a Jolokia agent or scraped
//! from a jmx_exporter. Both bridges map onto these names, so dashboards and alerts do not
//! care which one a site runs.
//!
//! Debezium's MBeans are keyed by `server` (the connector's `topic.prefix`); the `connector`
//! and `cluster` labels come from joining that with `debezium_connector_info` of the Connect
//! source. Connect's task MBeans name the connector themselves.

use super::metric::{Kind, Metric};

const SOURCE: &str = "jolokia, jmx_exporter";

const STREAMING: &[&str] = &["cluster", "connector", "server"];
const TASK: &[&str] = &["cluster", "connector", "task"];
const WORKER: &[&str] = &["cluster", "worker"];

pub const MILLI_SECONDS_BEHIND_SOURCE: Metric = Metric {
    name: "debezium_metrics_milli_seconds_behind_source",
    help: "Streaming lag: source commit time to Debezium processing time of the last event, in ms. Absent until the first event (Debezium's -1); frozen while the source is idle, so read it with debezium_metrics_milli_seconds_since_last_event.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const MILLI_SECONDS_SINCE_LAST_EVENT: Metric = Metric {
    name: "debezium_metrics_milli_seconds_since_last_event",
    help: "Milliseconds since Debezium streamed its last event; absent before the first. It grows while the lag stays frozen both when the database is idle and when the connector stalled: debezium_connector_freshness tells the two apart.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const CONNECTED: Metric = Metric {
    name: "debezium_metrics_connected",
    help: "1 if Debezium's streaming connection to the database is up.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const CONNECTOR_FRESHNESS: Metric = Metric {
    name: "debezium_connector_freshness",
    help: "1 for the one state that describes the connector's events now (streaming, idle, lagging, stalled, snapshotting, not_streaming), 0 for the others; from its streaming and snapshot MBeans and its replication slot (docs/freshness.md).",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "state"],
    source: "jolokia, jmx_exporter, postgres",
};

pub const NUMBER_OF_EVENTS_SEEN_TOTAL: Metric = Metric {
    name: "debezium_metrics_number_of_events_seen_total",
    help: "Change events Debezium has streamed since the task started (TotalNumberOfEventsSeen).",
    kind: Kind::Counter,
    labels: STREAMING,
    source: SOURCE,
};

pub const NUMBER_OF_EVENTS_FILTERED_TOTAL: Metric = Metric {
    name: "debezium_metrics_number_of_events_filtered_total",
    help: "Streamed events dropped by include/exclude filters since the task started.",
    kind: Kind::Counter,
    labels: STREAMING,
    source: SOURCE,
};

pub const NUMBER_OF_COMMITTED_TRANSACTIONS_TOTAL: Metric = Metric {
    name: "debezium_metrics_number_of_committed_transactions_total",
    help: "Source transactions Debezium has streamed since the task started.",
    kind: Kind::Counter,
    labels: STREAMING,
    source: SOURCE,
};

pub const QUEUE_REMAINING_CAPACITY: Metric = Metric {
    name: "debezium_metrics_queue_remaining_capacity",
    help: "Free slots in the queue between the streamer and Kafka Connect; 0 means Connect cannot keep up.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const QUEUE_TOTAL_CAPACITY: Metric = Metric {
    name: "debezium_metrics_queue_total_capacity",
    help: "Size of the queue between the streamer and Kafka Connect (max.queue.size).",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const NUMBER_OF_ERRONEOUS_EVENTS: Metric = Metric {
    name: "debezium_metrics_number_of_erroneous_events",
    help: "Events Debezium itself failed to process, counted since the task started (a gauge so the name matches Debezium's).",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "server", "context"],
    source: SOURCE,
};

pub const SNAPSHOT_RUNNING: Metric = Metric {
    name: "debezium_metrics_snapshot_running",
    help: "1 while an initial or ad-hoc snapshot is running.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const SNAPSHOT_COMPLETED: Metric = Metric {
    name: "debezium_metrics_snapshot_completed",
    help: "1 once the snapshot has completed (0 when none was taken since the task started).",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const SNAPSHOT_ABORTED: Metric = Metric {
    name: "debezium_metrics_snapshot_aborted",
    help: "1 if the snapshot was aborted.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const SNAPSHOT_DURATION_SECONDS: Metric = Metric {
    name: "debezium_metrics_snapshot_duration_seconds",
    help: "How long the snapshot has run so far, or took.",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const TOTAL_TABLE_COUNT: Metric = Metric {
    name: "debezium_metrics_snapshot_tables",
    help: "Tables the snapshot covers (TotalTableCount).",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const REMAINING_TABLE_COUNT: Metric = Metric {
    name: "debezium_metrics_snapshot_remaining_tables",
    help: "Tables the snapshot has yet to copy (RemainingTableCount).",
    kind: Kind::Gauge,
    labels: STREAMING,
    source: SOURCE,
};

pub const ROWS_SCANNED: Metric = Metric {
    name: "debezium_metrics_rows_scanned",
    help: "Rows the snapshot has read from each table so far.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector", "server", "table"],
    source: SOURCE,
};

pub const NUMBER_OF_FAILED_RECORDS: Metric = Metric {
    name: "debezium_metrics_number_of_failed_records",
    help: "Records of this task that failed in conversion, transformation or produce since the task (re)started: Connect's task-error-metrics total-record-failures. A gauge (the runbook's name has no _total); it resets when the task restarts.",
    kind: Kind::Gauge,
    labels: TASK,
    source: SOURCE,
};

pub const TASK_RECORD_ERRORS_TOTAL: Metric = Metric {
    name: "kafka_connect_task_error_record_errors_total",
    help: "Record processing errors of this task since it started (task-error-metrics total-record-errors).",
    kind: Kind::Counter,
    labels: TASK,
    source: SOURCE,
};

pub const TASK_RECORDS_SKIPPED_TOTAL: Metric = Metric {
    name: "kafka_connect_task_error_records_skipped_total",
    help: "Records this task skipped because of errors (errors.tolerance=all) since it started.",
    kind: Kind::Counter,
    labels: TASK,
    source: SOURCE,
};

pub const TASK_DEADLETTERQUEUE_PRODUCE_FAILURES_TOTAL: Metric = Metric {
    name: "kafka_connect_task_error_deadletterqueue_produce_failures_total",
    help: "Failed writes of this task to its dead letter queue since it started.",
    kind: Kind::Counter,
    labels: TASK,
    source: SOURCE,
};

pub const SOURCE_RECORD_POLL_TOTAL: Metric = Metric {
    name: "kafka_connect_source_task_source_record_poll_total",
    help: "Records this source task has polled from Debezium since it started, before transformations.",
    kind: Kind::Counter,
    labels: TASK,
    source: SOURCE,
};

pub const SOURCE_RECORD_WRITE_TOTAL: Metric = Metric {
    name: "kafka_connect_source_task_source_record_write_total",
    help: "Records this source task has written to Kafka since it started, after transformations.",
    kind: Kind::Counter,
    labels: TASK,
    source: SOURCE,
};

pub const OFFSET_COMMIT_FAILURE_RATIO: Metric = Metric {
    name: "kafka_connect_connector_task_offset_commit_failure_ratio",
    help: "Share (0-1) of this task's recent offset commits that failed (offset-commit-failure-percentage, which Connect reports as a ratio). Failing commits keep the replication slot from advancing.",
    kind: Kind::Gauge,
    labels: TASK,
    source: SOURCE,
};

pub const WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL: Metric = Metric {
    name: "kafka_connect_worker_connector_startup_failure_total",
    help: "Connector starts that failed on this worker since it started.",
    kind: Kind::Counter,
    labels: WORKER,
    source: SOURCE,
};

pub const WORKER_TASK_STARTUP_FAILURE_TOTAL: Metric = Metric {
    name: "kafka_connect_worker_task_startup_failure_total",
    help: "Task starts that failed on this worker since it started.",
    kind: Kind::Counter,
    labels: WORKER,
    source: SOURCE,
};

pub const CONNECTOR_STREAMING: Metric = Metric {
    name: "debezium_connector_streaming",
    help: "1 if a JMX bridge shows the connector's streaming MBean with Connected=true. With kafka_connect_connector_state{state=\"running\"} == 1 a 0 means stuck but RUNNING (e.g. the database is gone and Debezium retries). Only present while every JMX bridge answers.",
    kind: Kind::Gauge,
    labels: &["cluster", "connector"],
    source: "connect, jolokia, jmx_exporter",
};

pub(super) const ALL: &[&Metric] = &[
    &MILLI_SECONDS_BEHIND_SOURCE,
    &MILLI_SECONDS_SINCE_LAST_EVENT,
    &CONNECTED,
    &CONNECTOR_STREAMING,
    &CONNECTOR_FRESHNESS,
    &NUMBER_OF_EVENTS_SEEN_TOTAL,
    &NUMBER_OF_EVENTS_FILTERED_TOTAL,
    &NUMBER_OF_COMMITTED_TRANSACTIONS_TOTAL,
    &QUEUE_REMAINING_CAPACITY,
    &QUEUE_TOTAL_CAPACITY,
    &NUMBER_OF_ERRONEOUS_EVENTS,
    &NUMBER_OF_FAILED_RECORDS,
    &SNAPSHOT_RUNNING,
    &SNAPSHOT_COMPLETED,
    &SNAPSHOT_ABORTED,
    &SNAPSHOT_DURATION_SECONDS,
    &TOTAL_TABLE_COUNT,
    &REMAINING_TABLE_COUNT,
    &ROWS_SCANNED,
    &TASK_RECORD_ERRORS_TOTAL,
    &TASK_RECORDS_SKIPPED_TOTAL,
    &TASK_DEADLETTERQUEUE_PRODUCE_FAILURES_TOTAL,
    &SOURCE_RECORD_POLL_TOTAL,
    &SOURCE_RECORD_WRITE_TOTAL,
    &OFFSET_COMMIT_FAILURE_RATIO,
    &WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL,
    &WORKER_TASK_STARTUP_FAILURE_TOTAL,
];

/// The `context` label: which of Debezium's two connector-metrics MBeans an attribute
/// belongs to (the MBean's own `context` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MbeanContext {
    Snapshot,
    Streaming,
}

impl MbeanContext {
    /// The MBean's `context` key; other contexts (schema-history) are not ours.
    pub fn parse(text: &str) -> Option<MbeanContext> {
        match text {
            "streaming" => Some(MbeanContext::Streaming),
            "snapshot" => Some(MbeanContext::Snapshot),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MbeanContext::Streaming => "streaming",
            MbeanContext::Snapshot => "snapshot",
        }
    }
}
