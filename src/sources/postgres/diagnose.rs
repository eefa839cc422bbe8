//! Findings for `check` (with the runbook step that fixes each) and the landing page's status
//! lines, from what one poll saw of a database.

use super::model::DatabaseState;
use crate::catalog::{Anchor, Severity, bytes_text};
use crate::join::Facts;
use crate::join::pipeline::{OutboxPart, Part, SlotPart};
use crate::snapshot::{Finding, StatusLine};

/// What needs an operator's attention, for `check`: every logical slot that is lost,
/// inactive, or claimed by no connector of the configured Connect clusters.
pub fn findings(database: &DatabaseState, db: &str, facts: &Facts) -> Vec<Finding> {
    let mut findings = Vec::new();
    // The runbook's step 3c drops the slot; what that costs must be said before anyone does.
    let before_dropping = "Do not drop the slot yet (runbook step 3c): dropping it discards the connector's position, \
         and changes written meanwhile come back only through a new snapshot";
    for slot in database.slots.iter().filter(|slot| slot.slot_type == "logical") {
        let connector = slot.claiming_connector(facts);
        let subject = match connector {
            Some(connector) => format!("postgres {db} / slot {} (connector {connector})", slot.name),
            None => format!("postgres {db} / slot {}", slot.name),
        };
        let retained = database.lag_bytes(slot.restart_lsn).map(bytes_text).unwrap_or_else(|| "no".to_owned());
        let wal_status = slot.wal_status.as_deref().unwrap_or("unknown");
        if wal_status == "lost" {
            findings.push(Finding {
                severity: Severity::Critical,
                subject,
                problem: "the slot is lost: the WAL it needed is gone and Debezium cannot resume from it".to_owned(),
                runbook: Anchor::S1Reset.id(),
                actions: vec![
                    "Re-snapshot (runbook step 3): register the connector under a new name, or stop it, \
                     DELETE its offsets and resume"
                        .to_owned(),
                ],
            });
        } else if !slot.active {
            findings.push(Finding {
                severity: if wal_status == "unreserved" { Severity::Critical } else { Severity::Warning },
                subject,
                problem: format!(
                    "the slot is inactive{} and retains {retained} of WAL (wal_status {wal_status})",
                    // Before PostgreSQL 17 only a running exporter can measure how long.
                    if slot.inactive_seconds > 0.0 {
                        format!(" for {:.0} s", slot.inactive_seconds)
                    } else {
                        String::new()
                    }
                ),
                runbook: Anchor::S1Reset.id(),
                actions: vec![
                    match connector {
                        Some(connector) => {
                            format!("Find why connector {connector} does not stream: its state and its task's trace")
                        }
                        None => "No configured connector claims this slot: find its owner".to_owned(),
                    },
                    before_dropping.to_owned(),
                ],
            });
        } else if facts.connect_configured && connector.is_none() {
            findings.push(Finding {
                severity: Severity::Warning,
                subject,
                problem: format!("no Debezium connector of the configured Connect clusters claims this slot; it retains {retained} of WAL"),
                runbook: Anchor::S1Reset.id(),
                actions: vec![before_dropping.to_owned()],
            });
        }
    }
    findings
}

/// The landing page's lines: one per slot, one per outbox table.
pub fn summary(database: &DatabaseState) -> Vec<StatusLine> {
    let mut lines = Vec::new();
    for slot in &database.slots {
        let lost = slot.wal_status.as_deref() == Some("lost");
        let state = match (&slot.wal_status, slot.active) {
            (Some(status), true) => format!("active, {status}"),
            (Some(status), false) => format!("inactive, {status}"),
            (None, true) => "active".to_owned(),
            (None, false) => "inactive".to_owned(),
        };
        let (lag_bytes, retained_bytes) =
            (database.lag_bytes(slot.confirmed_lsn()), database.lag_bytes(slot.restart_lsn));
        let lag = lag_bytes.map(|lag| format!("lag {}", bytes_text(lag)));
        let retained = retained_bytes.map(|bytes| format!("retains {}", bytes_text(bytes)));
        lines.push(StatusLine {
            subject: format!("slot {}", slot.name),
            state,
            healthy: slot.active && !lost,
            detail: Some([lag, retained].into_iter().flatten().collect::<Vec<_>>().join(", ")),
            part: (slot.slot_type == "logical").then(|| {
                Part::Slot(SlotPart {
                    database: slot.database.clone(),
                    name: slot.name.clone(),
                    active: slot.active,
                    wal_status: slot.wal_status.clone(),
                    lag_bytes,
                    retained_bytes,
                })
            }),
        });
    }
    for outbox in &database.outbox {
        lines.push(StatusLine {
            subject: format!("outbox {}", outbox.table),
            state: format!("{} rows", outbox.rows),
            healthy: true,
            detail: outbox.oldest_age_seconds.map(|age| format!("oldest event {age:.0} s old")),
            part: Some(Part::Outbox(OutboxPart {
                table: outbox.table.clone(),
                rows: outbox.rows,
                oldest_age_seconds: outbox.oldest_age_seconds,
            })),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::postgres::model::{OutboxState, Slot};

    #[test]
    fn lost_inactive_and_unclaimed_slots_are_findings() {
        let mut lost = Slot::logical("lost", true);
        lost.wal_status = Some("lost".to_owned());
        let mut unreserved = Slot::logical("unreserved", false);
        unreserved.wal_status = Some("unreserved".to_owned());
        let slots = vec![lost, unreserved, Slot::logical("idle", false), Slot::logical("unclaimed", true)];
        let state = DatabaseState { current_lsn: 3 * 1024 * 1024, slots, ..DatabaseState::default() };
        let facts = Facts { connect_configured: true, ..Facts::default() };
        let findings = findings(&state, "inventory", &facts);
        let seen: Vec<(Severity, &str)> =
            findings.iter().map(|finding| (finding.severity, finding.subject.as_str())).collect();
        assert_eq!(
            seen,
            [
                (Severity::Critical, "postgres inventory / slot lost"),
                (Severity::Critical, "postgres inventory / slot unreserved"),
                (Severity::Warning, "postgres inventory / slot idle"),
                (Severity::Warning, "postgres inventory / slot unclaimed"),
            ]
        );
        assert_eq!(findings[2].problem, "the slot is inactive for 42 s and retains 3 MiB of WAL (wal_status extended)");
        assert!(findings.iter().all(|finding| finding.runbook == Anchor::S1Reset.id()));
        assert_eq!(super::findings(&state, "inventory", &Facts::default()).len(), 3, "no Connect: nobody to claim");
    }

    #[test]
    fn status_lines_show_each_slot_and_outbox() {
        let state = DatabaseState {
            current_lsn: 5_000,
            slots: vec![Slot::logical("debezium", false)],
            outbox: vec![OutboxState {
                table: "public.outbox".to_owned(),
                rows: 7,
                oldest_age_seconds: Some(12.4),
                unpublished: None,
            }],
            ..DatabaseState::default()
        };
        let lines = summary(&state);
        assert_eq!(
            (lines[0].subject.as_str(), lines[0].state.as_str(), lines[0].healthy),
            ("slot debezium", "inactive, extended", false)
        );
        assert_eq!(lines[0].detail.as_deref(), Some("lag 1000 B, retains 3.9 KiB"));
        assert_eq!(lines[1].detail.as_deref(), Some("oldest event 12 s old"));
    }
}
