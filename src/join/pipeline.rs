//! One Debezium pipeline end to end, joined from what every source saw: the outbox table
//! (PostgreSQL) → the replication slot (PostgreSQL) → the connector and its tasks (Connect,
//! with Debezium's streaming MBean from a JMX bridge) → its Kafka topics → the watched
//! consumer groups that read them (Kafka). The status page draws it.
//!
//! Sources describe the parts they saw as [`Part`]s on their status lines; [`pipelines`] joins
//! them on the keys the connector's config names (`database.dbname`, `slot.name`,
//! `topic.prefix`, the EventRouter's capture filters and topic pattern), at render time.

use regex::Regex;

use super::published::{OutboxRoute, OutboxRouting};
use crate::catalog::{SourceKind, State};

/// A part of a pipeline as one source saw it, with its key figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Connector(ConnectorPart),
    Slot(SlotPart),
    Outbox(OutboxPart),
    Streaming(StreamingPart),
    Topic(TopicPart),
    Group(GroupPart),
}

/// A connector as Connect's REST API describes it; `debezium` only for a Debezium connector.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorPart {
    pub name: String,
    pub state: Option<State>,
    pub tasks: Vec<(u32, Option<State>)>,
    pub debezium: Option<DebeziumKeys>,
}

/// What a Debezium connector's config says the rest of its pipeline is called.
#[derive(Debug, Clone, PartialEq)]
pub struct DebeziumKeys {
    pub database: String,
    pub slot: String,
    pub topic_prefix: String,
    /// The EventRouter's routing, for an outbox connector.
    pub outbox: Option<OutboxRouting>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotPart {
    pub database: String,
    pub name: String,
    pub active: bool,
    pub wal_status: Option<String>,
    /// WAL written since the slot's confirmed position.
    pub lag_bytes: Option<f64>,
    /// WAL the slot keeps from being removed.
    pub retained_bytes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxPart {
    /// `schema.table`.
    pub table: String,
    pub rows: u64,
    pub oldest_age_seconds: Option<f64>,
}

/// Debezium's streaming MBean for one `topic.prefix` (`server`), from a JMX bridge.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingPart {
    pub server: String,
    pub connected: bool,
    pub millis_behind_source: Option<f64>,
    pub millis_since_last_event: Option<f64>,
}

/// A watched topic and the timestamp of its newest record (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicPart {
    pub name: String,
    pub newest_millis: Option<i64>,
}

/// A watched consumer group, its total lag and the topics it committed offsets for.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPart {
    pub name: String,
    pub lag: i64,
    pub topics: Vec<String>,
}

/// What one source target last saw: `up` false when its last poll failed (or none ran yet).
#[derive(Debug, Clone)]
pub struct Seen {
    pub source: SourceKind,
    pub target: String,
    pub up: bool,
    pub parts: Vec<Part>,
}

/// Parts found for one stage of a pipeline, and whether every source that could have shown
/// one answered (so that none found means none there, not "cannot tell").
#[derive(Debug, Clone, PartialEq)]
pub struct Stage<T> {
    /// The target each part was seen on, and the part.
    pub found: Vec<(String, T)>,
    /// Some source of this stage's kind is configured, and all of them answered.
    pub complete: bool,
}

/// One Debezium connector's pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The Connect target (`cluster` label).
    pub cluster: String,
    pub connector: ConnectorPart,
    pub keys: DebeziumKeys,
    pub outbox: Stage<OutboxPart>,
    pub slot: Stage<SlotPart>,
    pub streaming: Stage<StreamingPart>,
    pub topics: Stage<TopicPart>,
    pub groups: Stage<GroupPart>,
}

/// Every Debezium connector's pipeline, in the order Connect listed them.
pub fn pipelines(seen: &[Seen]) -> Vec<Pipeline> {
    let mut pipelines = Vec::new();
    for connect in seen.iter().filter(|seen| seen.source == SourceKind::Connect) {
        for part in &connect.parts {
            let Part::Connector(connector) = part else { continue };
            let Some(keys) = &connector.debezium else { continue };
            pipelines.push(pipeline(seen, &connect.target, connector, keys));
        }
    }
    pipelines
}

fn pipeline(seen: &[Seen], cluster: &str, connector: &ConnectorPart, keys: &DebeziumKeys) -> Pipeline {
    let slot = stage(
        seen,
        |kind| kind == SourceKind::Postgres,
        |part| match part {
            Part::Slot(slot) if slot.name == keys.slot && slot.database == keys.database => Some(slot.clone()),
            _ => None,
        },
    );
    // The outbox tables of the database that holds the slot, which the EventRouter captures.
    let route =
        keys.outbox.as_ref().and_then(|routing| OutboxRoute::new(&connector.name, &keys.database, routing).ok());
    let slot_targets: Vec<&str> = slot.found.iter().map(|(target, _)| target.as_str()).collect();
    let mut outbox = stage(
        seen,
        |kind| kind == SourceKind::Postgres,
        |part| match (part, &route) {
            (Part::Outbox(outbox), Some(route)) if route.captures(&keys.database, &qualified(&outbox.table)) => {
                Some(outbox.clone())
            }
            _ => None,
        },
    );
    outbox.found.retain(|(target, _)| slot_targets.contains(&target.as_str()));
    outbox.complete &= !slot_targets.is_empty();
    let streaming = stage(seen, SourceKind::is_jmx_bridge, |part| match part {
        Part::Streaming(bean) if bean.server == keys.topic_prefix => Some(bean.clone()),
        _ => None,
    });
    let owns = topic_filter(keys);
    let topics = stage(
        seen,
        |kind| kind == SourceKind::Kafka,
        |part| match part {
            Part::Topic(topic) if owns(&topic.name) => Some(topic.clone()),
            _ => None,
        },
    );
    let groups = stage(
        seen,
        |kind| kind == SourceKind::Kafka,
        |part| match part {
            Part::Group(group) if group.topics.iter().any(|topic| owns(topic)) => Some(group.clone()),
            _ => None,
        },
    );
    Pipeline {
        cluster: cluster.to_owned(),
        connector: connector.clone(),
        keys: keys.clone(),
        outbox,
        slot,
        streaming,
        topics,
        groups,
    }
}

/// `schema.table` as Debezium's filters see it: a table configured without its schema is in `public`.
fn qualified(table: &str) -> String {
    if table.contains('.') { table.to_owned() } else { format!("public.{table}") }
}

/// Whether a topic carries this connector's events: the EventRouter's topic pattern for an
/// outbox connector, `topic.prefix` followed by a dot for a plain one.
fn topic_filter(keys: &DebeziumKeys) -> impl Fn(&str) -> bool + '_ {
    let routed = keys.outbox.as_ref().and_then(|routing| Regex::new(&format!("^(?:{})$", routing.topic_regex)).ok());
    let prefix = format!("{}.", keys.topic_prefix);
    move |topic: &str| match &routed {
        Some(regex) => regex.is_match(topic),
        None => topic.starts_with(&prefix),
    }
}

fn stage<T>(seen: &[Seen], kind: impl Fn(SourceKind) -> bool, pick: impl Fn(&Part) -> Option<T>) -> Stage<T> {
    let targets: Vec<&Seen> = seen.iter().filter(|seen| kind(seen.source)).collect();
    let found = targets
        .iter()
        .flat_map(|seen| seen.parts.iter().filter_map(&pick).map(|part| (seen.target.clone(), part)))
        .collect();
    Stage { found, complete: !targets.is_empty() && targets.iter().all(|seen| seen.up) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A healthy outbox pipeline `billing` as every source sees it.
    pub(crate) fn seen_healthy() -> Vec<Seen> {
        let routing = OutboxRouting {
            tables: vec!["public.outbox".into()],
            topic_regex: "outbox\\.event\\..+".into(),
            ..OutboxRouting::default()
        };
        let keys = DebeziumKeys {
            database: "inventory".into(),
            slot: "billing_slot".into(),
            topic_prefix: "billing".into(),
            outbox: Some(routing),
        };
        let connector = ConnectorPart {
            name: "billing".into(),
            state: Some(State::Running),
            tasks: vec![(0, Some(State::Running))],
            debezium: Some(keys),
        };
        let plain = ConnectorPart { name: "mirror".into(), state: Some(State::Running), tasks: vec![], debezium: None };
        let slot = |name: &str| SlotPart {
            database: "inventory".into(),
            name: name.into(),
            active: true,
            wal_status: Some("reserved".into()),
            lag_bytes: Some(100.0),
            retained_bytes: Some(2048.0),
        };
        vec![
            Seen {
                source: SourceKind::Connect,
                target: "dc1".into(),
                up: true,
                parts: vec![Part::Connector(connector), Part::Connector(plain)],
            },
            Seen {
                source: SourceKind::Postgres,
                target: "inventory".into(),
                up: true,
                parts: vec![
                    Part::Slot(slot("billing_slot")),
                    Part::Slot(slot("other")),
                    Part::Outbox(OutboxPart { table: "public.outbox".into(), rows: 3, oldest_age_seconds: Some(4.0) }),
                    Part::Outbox(OutboxPart { table: "audit.outbox".into(), rows: 9, oldest_age_seconds: None }),
                ],
            },
            Seen {
                source: SourceKind::Jolokia,
                target: "dc1-jmx".into(),
                up: true,
                parts: vec![Part::Streaming(StreamingPart {
                    server: "billing".into(),
                    connected: true,
                    millis_behind_source: Some(12.0),
                    millis_since_last_event: Some(800.0),
                })],
            },
            Seen {
                source: SourceKind::Kafka,
                target: "k".into(),
                up: true,
                parts: vec![
                    Part::Topic(TopicPart { name: "outbox.event.order".into(), newest_millis: Some(1_000) }),
                    Part::Topic(TopicPart { name: "connect-offsets".into(), newest_millis: None }),
                    Part::Group(GroupPart {
                        name: "shipping".into(),
                        lag: 5,
                        topics: vec!["outbox.event.order".into()],
                    }),
                    Part::Group(GroupPart { name: "other".into(), lag: 0, topics: vec!["elsewhere".into()] }),
                ],
            },
        ]
    }

    #[test]
    fn a_connector_is_joined_with_its_slot_outbox_bean_topics_and_groups() {
        let pipelines = pipelines(&seen_healthy());
        assert_eq!(pipelines.len(), 1, "only Debezium connectors have a pipeline");
        let billing = &pipelines[0];
        assert_eq!((billing.cluster.as_str(), billing.connector.name.as_str()), ("dc1", "billing"));
        let names = |found: Vec<&str>| found.join(",");
        assert_eq!(names(billing.slot.found.iter().map(|(_, slot)| slot.name.as_str()).collect()), "billing_slot");
        assert_eq!(names(billing.outbox.found.iter().map(|(_, o)| o.table.as_str()).collect()), "public.outbox");
        assert_eq!(billing.streaming.found.len(), 1);
        assert_eq!(names(billing.topics.found.iter().map(|(_, t)| t.name.as_str()).collect()), "outbox.event.order");
        assert_eq!(names(billing.groups.found.iter().map(|(_, g)| g.name.as_str()).collect()), "shipping");
        assert!(billing.slot.complete && billing.topics.complete && billing.outbox.complete);
    }

    #[test]
    fn a_source_that_is_down_leaves_its_stages_incomplete() {
        let mut seen = seen_healthy();
        seen[1].up = false;
        seen[1].parts.clear();
        seen.retain(|seen| seen.source != SourceKind::Kafka);
        let billing = &pipelines(&seen)[0];
        assert!(billing.slot.found.is_empty() && !billing.slot.complete);
        assert!(!billing.outbox.complete, "no slot seen: cannot tell the outbox");
        assert!(!billing.topics.complete, "no Kafka source configured: cannot tell");
    }

    #[test]
    fn a_plain_connector_owns_the_topics_under_its_prefix() {
        let keys = DebeziumKeys { database: "d".into(), slot: "s".into(), topic_prefix: "inv".into(), outbox: None };
        let owns = topic_filter(&keys);
        assert!(owns("inv.public.orders") && !owns("inventory.public.orders") && !owns("inv"));
    }
}
