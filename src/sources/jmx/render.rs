//! A bridge's reading as samples, joined with the Connect source on `topic.prefix`, and the
//! streaming beans it shares for the "RUNNING but not streaming" join.

use super::diagnose;
use super::mapping::{self, ERRONEOUS_EVENTS, Mapping, TASK, Value, WORKER};
use super::model::{Attributes, BridgeObservation};
use crate::catalog::{self, Freshness, MbeanContext};
use crate::join::freshness::{Signals, freshness};
use crate::join::{Facts, StreamingBean};
use crate::snapshot::{Observation, Samples, StatusLine};

impl BridgeObservation {
    /// `cluster` and `connector` for a Debezium `server`: joined on `topic.prefix` when the
    /// Connect source knows it, otherwise the configured cluster and an empty connector.
    fn owner<'a>(&'a self, facts: &'a Facts, server: &str) -> (&'a str, &'a str) {
        match facts.connector_for_server(self.connect_cluster.as_deref(), server) {
            Some(known) => (&known.cluster, &known.connector),
            None => (self.connect_cluster.as_deref().unwrap_or_default(), ""),
        }
    }

    /// `debezium_connector_freshness` of every connector whose streaming MBean this bridge shows
    /// and whose `topic.prefix` Connect knows: six series, one of them 1.
    fn push_freshness(&self, facts: &Facts, out: &mut Samples) {
        for ((server, context), bean) in &self.reading.debezium {
            if *context != MbeanContext::Streaming {
                continue;
            }
            let Some(known) = facts.connector_for_server(self.connect_cluster.as_deref(), server) else { continue };
            let snapshot = self.reading.debezium.get(&(server.clone(), MbeanContext::Snapshot));
            let signals = Signals {
                snapshot_running: snapshot.and_then(|bean| bean.attributes.get("snapshotrunning")) == Some(&1.0),
                connected: bean.attributes.get("connected") == Some(&1.0),
                behind_ms: bean.attributes.get("millisecondsbehindsource").copied(),
                since_last_event_ms: bean.attributes.get("millisecondssincelastevent").copied(),
                slot: facts.slot(&known.database, &known.slot),
            };
            let current = freshness(&signals);
            for state in Freshness::ALL {
                let value = if state == current { 1.0 } else { 0.0 };
                out.push(
                    &catalog::CONNECTOR_FRESHNESS,
                    [known.cluster.as_str(), &known.connector, state.label()],
                    value,
                );
            }
        }
    }

    /// `cluster` for a Connect connector name (task MBeans name their connector).
    fn cluster_of<'a>(&'a self, facts: &'a Facts, connector: &str) -> &'a str {
        if let Some(cluster) = &self.connect_cluster {
            return cluster;
        }
        facts.debezium_connectors.iter().find(|known| known.connector == connector).map_or("", |known| &known.cluster)
    }
}

fn push_mapped(out: &mut Samples, table: &[Mapping], attributes: &Attributes, labels: &[&str]) {
    for (key, metric, conversion) in table {
        let Some(&value) = attributes.get(*key) else { continue };
        if matches!(conversion, Value::NotNegative) && value < 0.0 {
            continue;
        }
        out.push(metric, labels.iter().copied(), value);
    }
}

impl Observation for BridgeObservation {
    fn share(&self, _target: &str, facts: &mut Facts) {
        facts.jmx.bridges_up += 1;
        for ((server, context), bean) in &self.reading.debezium {
            if *context == MbeanContext::Streaming {
                facts.jmx.streaming.push(StreamingBean {
                    cluster: self.connect_cluster.clone(),
                    server: server.clone(),
                    connected: bean.attributes.get("connected") == Some(&1.0),
                });
            }
        }
    }

    fn render(&self, target: &str, facts: &Facts, out: &mut Samples) {
        for ((server, context), bean) in &self.reading.debezium {
            let (cluster, connector) = self.owner(facts, server);
            let labels = [cluster, connector, server.as_str()];
            push_mapped(out, mapping::debezium(*context), &bean.attributes, &labels);
            if let Some(&erroneous) = bean.attributes.get(ERRONEOUS_EVENTS) {
                out.push(
                    &catalog::NUMBER_OF_ERRONEOUS_EVENTS,
                    [cluster, connector, server, context.label()],
                    erroneous,
                );
            }
            for (table, rows) in &bean.rows_scanned {
                out.push(&catalog::ROWS_SCANNED, [cluster, connector, server, table.as_str()], *rows);
            }
        }
        let mut worker_cluster = self.connect_cluster.as_deref().unwrap_or_default();
        for ((connector, task), attributes) in &self.reading.tasks {
            let cluster = self.cluster_of(facts, connector);
            if worker_cluster.is_empty() {
                worker_cluster = cluster;
            }
            push_mapped(out, TASK, attributes, &[cluster, connector, task]);
        }
        push_mapped(out, WORKER, &self.reading.worker, &[worker_cluster, target]);
        self.push_freshness(facts, out);
    }

    fn summary(&self) -> Vec<StatusLine> {
        diagnose::status_lines(&self.reading)
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::Reading;
    use super::*;
    use crate::join::{DebeziumConnector, SlotHolder};

    fn facts() -> Facts {
        Facts {
            debezium_connectors: vec![DebeziumConnector {
                cluster: "dc1".into(),
                connector: "orders-cdc".into(),
                running: true,
                database: "inventory".into(),
                slot: "orders".into(),
                topic_prefix: "orders".into(),
            }],
            ..Facts::default()
        }
    }

    #[test]
    fn minus_one_is_no_lag_and_server_joins_to_connector() {
        let mut reading = Reading::default();
        reading.debezium_attribute("orders", MbeanContext::Streaming, "MilliSecondsBehindSource", -1.0);
        reading.debezium_attribute("orders", MbeanContext::Streaming, "MilliSecondsSinceLastEvent", 1500.0);
        reading.debezium_attribute("orders", MbeanContext::Streaming, "SourceEventPosition", 3.0);
        let observation = BridgeObservation { reading, connect_cluster: None };
        let mut out = Samples::default();
        observation.render("w1", &facts(), &mut out);
        assert!(out.get(&catalog::MILLI_SECONDS_BEHIND_SOURCE).is_empty());
        let since = out.get(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT);
        assert_eq!(since, [(vec!["dc1".to_owned(), "orders-cdc".to_owned(), "orders".to_owned()], 1500.0)]);
    }

    #[test]
    fn freshness_is_one_state_of_six_from_the_beans_and_the_slot() {
        let mut reading = Reading::default();
        reading.debezium_attribute("orders", MbeanContext::Streaming, "Connected", 1.0);
        reading.debezium_attribute("orders", MbeanContext::Streaming, "MilliSecondsBehindSource", 120.0);
        reading.debezium_attribute("orders", MbeanContext::Streaming, "MilliSecondsSinceLastEvent", 3_600_000.0);
        reading.debezium_attribute("unknown", MbeanContext::Streaming, "Connected", 1.0);
        let observation = BridgeObservation { reading, connect_cluster: None };
        let current = |facts: &Facts| {
            let mut out = Samples::default();
            observation.render("w1", facts, &mut out);
            let series = out.get(&catalog::CONNECTOR_FRESHNESS).to_vec();
            assert_eq!(series.len(), 6, "six states, for the connector Connect knows only");
            let ones: Vec<_> =
                series.iter().filter(|(_, value)| *value == 1.0).map(|(labels, _)| labels.clone()).collect();
            assert_eq!(ones.len(), 1);
            ones[0].clone()
        };
        let mut facts = facts();
        assert_eq!(current(&facts), ["dc1", "orders-cdc", "idle"], "no slot seen: the frozen lag reads idle");
        facts.slots.push(SlotHolder {
            target: "inventory".into(),
            database: "inventory".into(),
            slot: "orders".into(),
            active_pid: Some(7),
            wal_status: None,
            confirmed_still_seconds: 3_600.0,
            changed_since_confirmed: true,
        });
        assert_eq!(current(&facts), ["dc1", "orders-cdc", "stalled"], "its database's changes wait in the slot");
    }

    #[test]
    fn the_streaming_join_needs_a_connected_bean() {
        let mut reading = Reading::default();
        reading.debezium_attribute("orders", MbeanContext::Streaming, "Connected", 0.0);
        let observation = BridgeObservation { reading, connect_cluster: Some("dc1".into()) };
        let mut facts = facts();
        facts.jmx.bridges_configured = 1;
        observation.share("w1", &mut facts);
        assert!(facts.jmx.complete());
        assert!(!facts.jmx.streaming("dc1", "orders"), "disconnected");
        facts.jmx.streaming[0].connected = true;
        assert!(facts.jmx.streaming("dc1", "orders"));
        assert!(!facts.jmx.streaming("dc2", "orders"), "the bridge belongs to dc1");
        assert!(!facts.jmx.streaming("dc1", "billing"), "absent");
    }
}
