//! Pure: a FAILED task's or connector's Java trace → its [`FailureCause`].
//!
//! Tested on traces recorded from the real stack (tests/fixtures/connect/traces, whose README
//! says how each was produced and which were derived from a recorded one). The trace is read,
//! never kept: only the cause becomes a label.
//!
//! The rules look at what a trace reliably carries: exception classes (pgjdbc's, Kafka's,
//! Connect's, Debezium's), the frames that say where it was thrown (the transformation chain,
//! the offset writer), PostgreSQL's SQLSTATE when a wrapper prints one, and PostgreSQL's own
//! message texts, which are stable across versions but translated when the server's
//! `lc_messages` is not English. The most specific rule wins: they run in [`RULES`] order.

use crate::catalog::FailureCause;

/// What the rules look at, lower-cased once.
struct Evidence {
    /// The exception lines (the first, every `Caused by:`, pgjdbc's `Detail:`), not the frames.
    messages: String,
    /// The whole trace, frames included.
    all: String,
}

impl Evidence {
    fn new(trace: &str) -> Evidence {
        let all = trace.to_ascii_lowercase();
        let messages = all
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("at ") && !line.starts_with("..."))
            .collect::<Vec<_>>()
            .join("\n");
        Evidence { messages, all }
    }

    fn says(&self, any: &[&str]) -> bool {
        any.iter().any(|text| self.messages.contains(text))
    }

    fn passes(&self, any: &[&str]) -> bool {
        any.iter().any(|text| self.all.contains(text))
    }

    /// A SQLSTATE printed as `SQLState: 28P01`, `SQL state [28P01]`, `sqlstate=28P01`, … .
    fn sqlstate(&self, codes: &[&str]) -> bool {
        ["sqlstate", "sql state"].iter().any(|keyword| {
            self.messages.match_indices(keyword).any(|(at, _)| {
                let after = &self.messages[at + keyword.len()..];
                let code: String = after
                    .trim_start_matches([':', '=', '[', '(', ' '])
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                codes.contains(&code.as_str())
            })
        })
    }

    /// The failure came from talking to PostgreSQL (pgjdbc or Debezium's JDBC layer).
    fn is_postgres(&self) -> bool {
        self.passes(&["org.postgresql.", "io.debezium.jdbc.", "io.debezium.connector.postgresql."])
    }
}

type Rule = (FailureCause, fn(&Evidence) -> bool);

/// Most specific first: a slot message beats the connection error that wraps it, and an
/// offset-topic timeout beats the producer error it also is.
const RULES: &[Rule] = &[
    (FailureCause::SlotInvalidated, |e| {
        e.says(&[
            "has been invalidated",
            "cannot read from logical replication slot",
            "unable to obtain valid replication slot",
            "requested wal segment", // the slot needs WAL the server has removed
        ]) || (e.sqlstate(&["55000"]) && e.says(&["replication slot"]))
    }),
    (FailureCause::SlotInUse, |e| {
        (e.says(&["replication slot"]) && e.says(&["is active for pid", "is already active"]))
            || (e.sqlstate(&["55006"]) && e.says(&["slot"]))
    }),
    (FailureCause::SlotMissing, |e| {
        (e.says(&["replication slot"]) && e.says(&["does not exist"])) || (e.sqlstate(&["42704"]) && e.says(&["slot"]))
    }),
    (FailureCause::PublicationMissing, |e| {
        e.says(&["publication autocreation is disabled"])
            || (e.says(&["publication"]) && e.says(&["does not exist"]))
            || (e.sqlstate(&["42704"]) && e.says(&["publication"]))
    }),
    (FailureCause::ReplicationPermission, |e| {
        e.says(&[
            "must be superuser or replication role",
            "permission denied to start wal sender",
            "must have the replication attribute",
            "permission denied to create replication slot",
            "permission denied to use replication slots",
        ]) || (e.sqlstate(&["42501"]) && e.says(&["replication", "walsender", "wal sender"]))
    }),
    (FailureCause::Authentication, |e| {
        e.says(&[
            "password authentication failed",
            "authentication failed for user",
            "no pg_hba.conf entry",
            "requested password-based authentication, but no password was provided",
        ]) || e.sqlstate(&["28p01", "28000"])
    }),
    (FailureCause::DatabaseUnreachable, |e| {
        e.is_postgres()
            && (e.says(&[
                "java.net.connectexception",
                "java.net.unknownhostexception",
                "java.net.noroutetohostexception",
                "java.net.sockettimeoutexception",
                "the connection attempt failed",
                "an i/o error occurred while sending to the backend",
                "terminating connection due to administrator command",
                "the database system is shutting down",
                "the database system is starting up",
                "this connection has been closed",
            ]) || (e.says(&["connection to "]) && e.says(&[" refused"]))
                || e.sqlstate(&["08000", "08001", "08003", "08004", "08006", "57p01", "57p02", "57p03"]))
    }),
    (FailureCause::TransformError, |e| {
        e.passes(&["transformationchain", "transformationstage", "io.debezium.transforms."])
    }),
    (FailureCause::OffsetCommit, |e| {
        e.passes(&["offsetstoragewriter", "offsetbackingstore"])
            || e.says(&["flush offsets", "commit offsets", "offset commit", "connect-offsets"])
    }),
    (FailureCause::KafkaProduce, |e| {
        e.says(&["producer send callback", "org.apache.kafka.common.errors.", "recordtoolargeexception"])
            || e.passes(&["maybethrowproducersendexception", "kafkaproducer.send"])
    }),
];

/// The cause of one failure, [`FailureCause::Unknown`] when no rule matches.
pub fn classify(trace: &str) -> FailureCause {
    let evidence = Evidence::new(trace);
    RULES.iter().find(|(_, matches)| matches(&evidence)).map_or(FailureCause::Unknown, |(cause, _)| *cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(name: &str) -> String {
        let path = format!("{}/tests/fixtures/connect/traces/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// One test per recorded failure, so one miss hides no other.
    fn recorded(name: &str, cause: FailureCause) {
        assert_eq!(classify(&trace(name)), cause, "{name}");
    }

    #[test]
    fn a_dropped_publication() {
        recorded("publication_missing.txt", FailureCause::PublicationMissing);
    }

    #[test]
    fn a_role_without_replication() {
        recorded("replication_permission.txt", FailureCause::ReplicationPermission);
    }

    #[test]
    fn a_slot_held_by_pg_recvlogical() {
        recorded("slot_in_use.txt", FailureCause::SlotInUse);
    }

    #[test]
    fn a_rotated_password() {
        recorded("authentication.txt", FailureCause::Authentication);
    }

    #[test]
    fn postgresql_stopped() {
        recorded("database_unreachable.txt", FailureCause::DatabaseUnreachable);
    }

    #[test]
    fn the_event_router_rejecting_an_update() {
        recorded("transform_error.txt", FailureCause::TransformError);
    }

    #[test]
    fn a_record_larger_than_the_producer_allows() {
        recorded("kafka_produce.txt", FailureCause::KafkaProduce);
    }

    #[test]
    fn derived_a_dropped_slot() {
        recorded("slot_missing.derived.txt", FailureCause::SlotMissing);
    }

    #[test]
    fn derived_a_lost_slot_while_streaming_and_at_start() {
        recorded("slot_invalidated.derived.txt", FailureCause::SlotInvalidated);
        recorded("slot_invalidated-unobtainable.derived.txt", FailureCause::SlotInvalidated);
    }

    #[test]
    fn derived_an_offset_flush_timing_out() {
        recorded("offset_commit.derived.txt", FailureCause::OffsetCommit);
    }

    /// A server whose `lc_messages` is not English: only the SQLSTATE a wrapper printed is
    /// left to go by (messages as PostgreSQL's German catalogue words them).
    #[test]
    fn sqlstates_where_the_text_is_translated() {
        let german = |message: &str, state: &str| {
            format!(
                "io.debezium.DebeziumException: {message} SQLState: {state}\n\tat io.debezium.connector.postgresql.connection.PostgresConnection.x(PostgresConnection.java:1)"
            )
        };
        let cases = [
            (
                "FATAL: Passwort-Authentifizierung für Benutzer »a« fehlgeschlagen",
                "28P01",
                FailureCause::Authentication,
            ),
            ("ERROR: Replikations-Slot »s« ist aktiv für PID 7", "55006", FailureCause::SlotInUse),
            ("ERROR: Replikations-Slot »s« existiert nicht", "42704", FailureCause::SlotMissing),
            ("FATAL: das Datenbanksystem fährt herunter", "57P03", FailureCause::DatabaseUnreachable),
            ("FATAL: nur Superuser und Replikationsrollen dürfen WAL-Sender starten", "42501", FailureCause::Unknown),
        ];
        for (message, state, cause) in cases {
            assert_eq!(classify(&german(message, state)), cause, "{message}");
        }
        // 42501 is too broad alone: with a word that names replication it is the permission.
        let walsender = german("FATAL: keine Berechtigung (walsender)", "42501");
        assert_eq!(classify(&walsender), FailureCause::ReplicationPermission);
    }

    #[test]
    fn nothing_recognisable_is_unknown() {
        assert_eq!(classify(""), FailureCause::Unknown);
        assert_eq!(
            classify("java.lang.NullPointerException\n\tat com.example.Foo.bar(Foo.java:1)"),
            FailureCause::Unknown
        );
        // A connection refused that is not PostgreSQL's is not the database.
        assert_eq!(classify("java.net.ConnectException: Connection refused"), FailureCause::Unknown);
    }

    #[test]
    fn every_cause_but_unknown_has_a_rule() {
        for cause in FailureCause::ALL {
            assert_eq!(RULES.iter().any(|(ruled, _)| *ruled == cause), cause != FailureCause::Unknown, "{cause:?}");
        }
    }
}
