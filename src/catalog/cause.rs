//! Why a task or connector is FAILED: the `cause` label of
//! [`super::TASK_FAILURE_CAUSE`] and [`super::CONNECTOR_FAILURE_CAUSE`], a small fixed set
//! read from the failure's Java trace (sources/connect/cause.rs), never the trace itself.

/// A FAILED task's or connector's cause, in the order they are documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureCause {
    /// The connector's `publication.name` does not exist and Debezium may not create it.
    PublicationMissing,
    /// The role lacks `REPLICATION` (or superuser), so PostgreSQL refuses a walsender.
    ReplicationPermission,
    /// The replication slot does not exist (dropped under the connector).
    SlotMissing,
    /// Another process holds the replication slot.
    SlotInUse,
    /// The slot can no longer be used: the WAL it needed was removed.
    SlotInvalidated,
    /// The database could not be reached (down, refused, timed out).
    DatabaseUnreachable,
    /// PostgreSQL rejected the credentials.
    Authentication,
    /// A transform (the outbox EventRouter, …) rejected a record and the error handler gave up.
    TransformError,
    /// The producer could not write a record to Kafka (broker errors, record too large).
    KafkaProduce,
    /// Source offsets could not be committed (internal topics missing or unwritable).
    OffsetCommit,
    /// None of the above: read the trace.
    Unknown,
}

/// Whether restarting the failed task can clear a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Once the outside condition is gone (the database back, the broker healthy), a restart
    /// is all it takes.
    Helps,
    /// Only after a person has fixed something (a grant, a publication, the other consumer);
    /// before that a restart fails the same way.
    AfterFix,
    /// A restart cannot help: the task would fail the same way until its config or state is
    /// rebuilt (a lost slot, a record the transform rejects).
    Never,
}

impl FailureCause {
    pub const ALL: [FailureCause; 11] = [
        FailureCause::PublicationMissing,
        FailureCause::ReplicationPermission,
        FailureCause::SlotMissing,
        FailureCause::SlotInUse,
        FailureCause::SlotInvalidated,
        FailureCause::DatabaseUnreachable,
        FailureCause::Authentication,
        FailureCause::TransformError,
        FailureCause::KafkaProduce,
        FailureCause::OffsetCommit,
        FailureCause::Unknown,
    ];

    /// The `cause` label value.
    pub fn label(self) -> &'static str {
        match self {
            FailureCause::PublicationMissing => "publication_missing",
            FailureCause::ReplicationPermission => "replication_permission",
            FailureCause::SlotMissing => "slot_missing",
            FailureCause::SlotInUse => "slot_in_use",
            FailureCause::SlotInvalidated => "slot_invalidated",
            FailureCause::DatabaseUnreachable => "database_unreachable",
            FailureCause::Authentication => "authentication",
            FailureCause::TransformError => "transform_error",
            FailureCause::KafkaProduce => "kafka_produce",
            FailureCause::OffsetCommit => "offset_commit",
            FailureCause::Unknown => "unknown",
        }
    }

    /// Its section in docs/runbook.md (generate/runbook.rs writes one per cause): `cause-`
    /// and the label, so an alert's description can link it from its `cause` label alone.
    pub fn anchor(self) -> &'static str {
        match self {
            FailureCause::PublicationMissing => "cause-publication_missing",
            FailureCause::ReplicationPermission => "cause-replication_permission",
            FailureCause::SlotMissing => "cause-slot_missing",
            FailureCause::SlotInUse => "cause-slot_in_use",
            FailureCause::SlotInvalidated => "cause-slot_invalidated",
            FailureCause::DatabaseUnreachable => "cause-database_unreachable",
            FailureCause::Authentication => "cause-authentication",
            FailureCause::TransformError => "cause-transform_error",
            FailureCause::KafkaProduce => "cause-kafka_produce",
            FailureCause::OffsetCommit => "cause-offset_commit",
            FailureCause::Unknown => "cause-unknown",
        }
    }

    pub fn restart(self) -> Restart {
        match self {
            FailureCause::DatabaseUnreachable | FailureCause::KafkaProduce | FailureCause::OffsetCommit => {
                Restart::Helps
            }
            FailureCause::PublicationMissing
            | FailureCause::ReplicationPermission
            | FailureCause::SlotMissing
            | FailureCause::SlotInUse
            | FailureCause::Authentication
            | FailureCause::Unknown => Restart::AfterFix,
            FailureCause::SlotInvalidated | FailureCause::TransformError => Restart::Never,
        }
    }

    /// What it means, in one sentence (English; the runbook adds Korean).
    pub fn meaning(self) -> &'static str {
        match self {
            FailureCause::PublicationMissing => {
                "the connector's publication does not exist, and with publication.autocreate.mode=disabled Debezium will not create it"
            }
            FailureCause::ReplicationPermission => {
                "the connector's database role may not start replication: it lacks REPLICATION (or superuser)"
            }
            FailureCause::SlotMissing => "the connector's replication slot does not exist any more",
            FailureCause::SlotInUse => "another process holds the connector's replication slot",
            FailureCause::SlotInvalidated => {
                "the replication slot lost the WAL it needed: the changes in between are gone from the server"
            }
            FailureCause::DatabaseUnreachable => "PostgreSQL could not be reached when the task (re)connected",
            FailureCause::Authentication => "PostgreSQL rejected the connector's credentials",
            FailureCause::TransformError => {
                "a transform rejected a record and errors.tolerance=none stopped the task on it"
            }
            FailureCause::KafkaProduce => "the task could not write a record to Kafka",
            FailureCause::OffsetCommit => "the worker could not commit source offsets to its internal topics",
            FailureCause::Unknown => "the trace matches none of the known causes",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn labels_and_anchors_are_distinct_and_spelled_alike() {
        let labels: HashSet<_> = FailureCause::ALL.iter().map(|cause| cause.label()).collect();
        assert_eq!(labels.len(), FailureCause::ALL.len());
        for cause in FailureCause::ALL {
            assert_eq!(cause.anchor(), format!("cause-{}", cause.label()));
        }
    }
}
