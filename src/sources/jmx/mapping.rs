//! Which MBean attributes we export, as which metric, and how their values are taken: the
//! model keeps only these, the renderer writes them.

use crate::catalog::{self, MbeanContext, Metric};

/// How an attribute's value becomes a sample.
#[derive(Clone, Copy)]
pub(super) enum Value {
    AsIs,
    /// Debezium's -1 means "no event yet", not a measurement: leave the series out.
    NotNegative,
}

/// One mapped attribute: its folded name, the metric, and how its value is taken.
pub(super) type Mapping = (&'static str, &'static Metric, Value);

const STREAMING: &[Mapping] = &[
    ("millisecondsbehindsource", &catalog::MILLI_SECONDS_BEHIND_SOURCE, Value::NotNegative),
    ("millisecondssincelastevent", &catalog::MILLI_SECONDS_SINCE_LAST_EVENT, Value::NotNegative),
    ("connected", &catalog::CONNECTED, Value::AsIs),
    ("totalnumberofeventsseen", &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL, Value::AsIs),
    ("numberofeventsfiltered", &catalog::NUMBER_OF_EVENTS_FILTERED_TOTAL, Value::AsIs),
    ("numberofcommittedtransactions", &catalog::NUMBER_OF_COMMITTED_TRANSACTIONS_TOTAL, Value::AsIs),
    ("queueremainingcapacity", &catalog::QUEUE_REMAINING_CAPACITY, Value::AsIs),
    ("queuetotalcapacity", &catalog::QUEUE_TOTAL_CAPACITY, Value::AsIs),
];

const SNAPSHOT: &[Mapping] = &[
    ("snapshotrunning", &catalog::SNAPSHOT_RUNNING, Value::AsIs),
    ("snapshotcompleted", &catalog::SNAPSHOT_COMPLETED, Value::AsIs),
    ("snapshotaborted", &catalog::SNAPSHOT_ABORTED, Value::AsIs),
    ("snapshotdurationinseconds", &catalog::SNAPSHOT_DURATION_SECONDS, Value::AsIs),
    ("totaltablecount", &catalog::TOTAL_TABLE_COUNT, Value::AsIs),
    ("remainingtablecount", &catalog::REMAINING_TABLE_COUNT, Value::AsIs),
];

/// The Debezium attributes of one context's MBean.
pub(super) fn debezium(context: MbeanContext) -> &'static [Mapping] {
    match context {
        MbeanContext::Streaming => STREAMING,
        MbeanContext::Snapshot => SNAPSHOT,
    }
}

/// In both contexts, with a `context` label.
pub(super) const ERRONEOUS_EVENTS: &str = "numberoferroneousevents";

/// Connect's connector-task, task-error and source-task MBeans of one task.
pub(super) const TASK: &[Mapping] = &[
    ("totalrecordfailures", &catalog::NUMBER_OF_FAILED_RECORDS, Value::AsIs),
    ("totalrecorderrors", &catalog::TASK_RECORD_ERRORS_TOTAL, Value::AsIs),
    ("totalrecordsskipped", &catalog::TASK_RECORDS_SKIPPED_TOTAL, Value::AsIs),
    ("deadletterqueueproducefailures", &catalog::TASK_DEADLETTERQUEUE_PRODUCE_FAILURES_TOTAL, Value::AsIs),
    ("sourcerecordpolltotal", &catalog::SOURCE_RECORD_POLL_TOTAL, Value::AsIs),
    ("sourcerecordwritetotal", &catalog::SOURCE_RECORD_WRITE_TOTAL, Value::AsIs),
    ("offsetcommitfailurepercentage", &catalog::OFFSET_COMMIT_FAILURE_RATIO, Value::AsIs),
];

/// Connect's worker MBean (the one without a `connector` key).
pub(super) const WORKER: &[Mapping] = &[
    ("connectorstartupfailuretotal", &catalog::WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL, Value::AsIs),
    ("taskstartupfailuretotal", &catalog::WORKER_TASK_STARTUP_FAILURE_TOTAL, Value::AsIs),
];

pub(super) fn mapped(table: &[Mapping], key: &str) -> bool {
    table.iter().any(|(name, ..)| *name == key)
}
