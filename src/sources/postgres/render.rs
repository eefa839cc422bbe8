//! A database's samples: the WAL position and its limit, per slot its lag, what it retains,
//! its activity and `wal_status`, whether a connector claims it, and per outbox table its rows,
//! oldest event and unpublished events. Findings and landing-page lines come from
//! [`diagnose`](super::diagnose).

use super::diagnose;
use super::model::DatabaseState;
use crate::catalog;
use crate::catalog::WAL_STATUSES;
use crate::join::{Facts, SlotHolder};
use crate::snapshot::{Finding, Observation, Samples, StatusLine};

impl Observation for DatabaseState {
    fn share(&self, db: &str, facts: &mut Facts) {
        for slot in self.slots.iter().filter(|slot| slot.slot_type == "logical") {
            facts.slots.push(SlotHolder {
                target: db.to_owned(),
                database: slot.database.clone(),
                slot: slot.name.clone(),
                active_pid: slot.active_pid,
                wal_status: slot.wal_status.clone(),
                confirmed_still_seconds: slot.progress.still_seconds,
                changed_since_confirmed: slot.progress.changed_since,
            });
        }
    }

    fn render(&self, db: &str, facts: &Facts, out: &mut Samples) {
        out.push(&catalog::WAL_CURRENT_LSN_BYTES, [db], self.current_lsn as f64);
        if let Some(bytes) = self.max_slot_wal_keep_size_bytes {
            out.push(&catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES, [db], bytes);
        }
        for slot in &self.slots {
            let connector = slot.claiming_connector(facts);
            let labels = [db, &slot.name, &slot.slot_type, &slot.plugin, connector.unwrap_or_default()];
            if let Some(lag) = self.lag_bytes(slot.confirmed_lsn()) {
                out.push(&catalog::REPLICATION_SLOT_LAG_BYTES, labels, lag);
            }
            if let Some(retained) = self.lag_bytes(slot.restart_lsn) {
                out.push(&catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES, labels, retained);
            }
            out.push(&catalog::REPLICATION_SLOT_ACTIVE, labels, if slot.active { 1.0 } else { 0.0 });
            out.push(&catalog::REPLICATION_SLOT_INACTIVE_SECONDS, labels, slot.inactive_seconds);
            if let Some(current) = &slot.wal_status {
                for status in WAL_STATUSES {
                    let [db, name, slot_type, plugin, connector] = labels;
                    out.push(
                        &catalog::REPLICATION_SLOT_WAL_STATUS,
                        [db, name, slot_type, plugin, connector, status],
                        if current == status { 1.0 } else { 0.0 },
                    );
                }
            }
            if let Some(safe) = slot.safe_wal_size_bytes {
                out.push(&catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES, labels, safe as f64);
            }
            if facts.connect_configured && slot.slot_type == "logical" {
                out.push(
                    &catalog::REPLICATION_SLOT_ORPHANED,
                    [db, &slot.name],
                    if connector.is_none() { 1.0 } else { 0.0 },
                );
            }
        }
        for outbox in &self.outbox {
            out.push(&catalog::OUTBOX_TABLE_ROWS, [db, &outbox.table], outbox.rows as f64);
            out.push(
                &catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS,
                [db, &outbox.table],
                outbox.oldest_age_seconds.unwrap_or(0.0),
            );
            if let Some(unpublished) = outbox.unpublished {
                out.push(&catalog::OUTBOX_UNPUBLISHED_EVENTS, [db, &outbox.table], unpublished as f64);
            }
        }
    }

    fn findings(&self, db: &str, facts: &Facts) -> Vec<Finding> {
        diagnose::findings(self, db, facts)
    }

    fn summary(&self) -> Vec<StatusLine> {
        diagnose::summary(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join::DebeziumConnector;
    use crate::sources::postgres::model::{OutboxState, Slot};

    fn values(samples: &Samples, metric: &'static catalog::Metric) -> Vec<(Vec<String>, f64)> {
        samples.get(metric).to_vec()
    }

    fn labels(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    #[test]
    fn slots_render_lag_retention_status_and_the_connector_join() {
        let physical = Slot::physical("standby_1", 9_000);
        let state = DatabaseState {
            current_lsn: 10_000,
            max_slot_wal_keep_size_bytes: Some(-1.0),
            slots: vec![Slot::logical("debezium", false), Slot::logical("forgotten", false), physical],
            outbox: vec![OutboxState {
                table: "public.outbox".to_owned(),
                rows: 7,
                oldest_age_seconds: None,
                unpublished: Some(3),
            }],
        };
        let facts = Facts {
            connect_configured: true,
            debezium_connectors: vec![DebeziumConnector {
                cluster: "c".to_owned(),
                connector: "inventory-connector".to_owned(),
                running: true,
                database: "inventory".to_owned(),
                slot: "debezium".to_owned(),
                topic_prefix: "dbz".to_owned(),
            }],
            ..Facts::default()
        };
        let mut out = Samples::default();
        state.render("inventory", &facts, &mut out);

        let lag = values(&out, &catalog::REPLICATION_SLOT_LAG_BYTES);
        assert_eq!(lag[0], (labels(&["inventory", "debezium", "logical", "pgoutput", "inventory-connector"]), 6_000.0));
        assert_eq!(lag[1], (labels(&["inventory", "forgotten", "logical", "pgoutput", ""]), 6_000.0));
        assert_eq!(lag[2], (labels(&["inventory", "standby_1", "physical", "", ""]), 1_000.0), "physical: restart_lsn");
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES)[0].1, 9_000.0);
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_INACTIVE_SECONDS)[0].1, 42.0);
        let status = values(&out, &catalog::REPLICATION_SLOT_WAL_STATUS);
        assert_eq!(status.len(), 12);
        let current: Vec<&str> = status.iter().filter(|(_, value)| *value == 1.0).map(|(l, _)| l[5].as_str()).collect();
        assert_eq!(current, ["extended"; 3]);
        assert!(values(&out, &catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES).is_empty(), "NULL is omitted");
        assert_eq!(
            values(&out, &catalog::REPLICATION_SLOT_ORPHANED),
            [(labels(&["inventory", "debezium"]), 0.0), (labels(&["inventory", "forgotten"]), 1.0)],
            "physical slots are never orphaned"
        );
        assert_eq!(values(&out, &catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES)[0].1, -1.0);
        assert_eq!(values(&out, &catalog::WAL_CURRENT_LSN_BYTES)[0].1, 10_000.0);
        assert_eq!(values(&out, &catalog::OUTBOX_TABLE_ROWS), [(labels(&["inventory", "public.outbox"]), 7.0)]);
        assert_eq!(values(&out, &catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS)[0].1, 0.0, "empty table: age 0");

        // Without Connect there is nobody to claim a slot: no orphan series at all.
        let mut out = Samples::default();
        state.render("inventory", &Facts::default(), &mut out);
        assert!(values(&out, &catalog::REPLICATION_SLOT_ORPHANED).is_empty());
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_LAG_BYTES)[0].0[4], "");
    }

    #[test]
    fn lag_is_never_negative_and_old_servers_have_no_status() {
        let mut ahead = Slot::logical("ahead", true);
        ahead.wal_status = None;
        ahead.confirmed_flush_lsn = Some(20_000);
        let state = DatabaseState { current_lsn: 10_000, slots: vec![ahead], ..DatabaseState::default() };
        let mut out = Samples::default();
        state.render("db", &Facts::default(), &mut out);
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_LAG_BYTES)[0].1, 0.0);
        assert!(values(&out, &catalog::REPLICATION_SLOT_WAL_STATUS).is_empty());
        assert!(values(&out, &catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES).is_empty());
    }
}
