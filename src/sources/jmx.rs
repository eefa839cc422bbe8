//! What the two JMX-over-HTTP bridges have in common. Jolokia (JSON) and jmx_exporter (text
//! exposition) each reduce what they read to one [`Reading`]; mapping it onto the catalog and
//! joining it with the Connect source happen here, once, so both bridges export the same names.
//!
//! Attribute names are compared folded ([`attribute_key`]): Debezium's `MilliSecondsBehindSource`,
//! the lower-cased `millisecondsbehindsource` of the usual jmx_exporter rules, Connect's
//! `total-record-failures` and Strimzi's `total_record_failures` all meet.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::catalog::{self, Metric};
use crate::join::{Facts, StreamingBean};
use crate::snapshot::{Observation, Samples, StatusLine};

/// Which of Debezium's two connector-metrics MBeans an attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    Snapshot,
    Streaming,
}

impl Context {
    /// The MBean's `context` key; other contexts (schema-history) are not ours.
    pub fn parse(text: &str) -> Option<Context> {
        match text {
            "streaming" => Some(Context::Streaming),
            "snapshot" => Some(Context::Snapshot),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Context::Streaming => "streaming",
            Context::Snapshot => "snapshot",
        }
    }
}

/// An attribute name folded to lower case without `-` and `_`.
pub fn attribute_key(name: &str) -> String {
    name.chars().filter(|c| *c != '-' && *c != '_').map(|c| c.to_ascii_lowercase()).collect()
}

/// Reads a quoted ObjectName value (after its opening quote): the value and what follows it.
/// The escapes are those `ObjectName.quote` writes, `\n` a newline; like `ObjectName.unquote`,
/// any other escape is refused.
pub fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                escaped @ ('\\' | '"' | '*' | '?') => value.push(escaped),
                _ => return None,
            },
            '"' => return Some((value, &text[index + 1..])),
            c => value.push(c),
        }
    }
    None
}

/// An ObjectName key's value as its owner meant it: a quoted value (`"a,b"`) unquoted, any
/// other as it is. Kafka and Debezium quote only values that need it, so a value that starts
/// and ends with a quote is a quoted one.
pub fn unquoted(value: &str) -> Cow<'_, str> {
    match value.strip_prefix('"').and_then(unquote) {
        Some((unquoted, "")) => Cow::Owned(unquoted),
        _ => Cow::Borrowed(value),
    }
}

/// How an attribute's value becomes a sample.
#[derive(Clone, Copy)]
enum Value {
    AsIs,
    /// Debezium's -1 means "no event yet", not a measurement: leave the series out.
    NotNegative,
}

/// One mapped attribute: its folded name, the metric, and how its value is taken.
type Mapping = (&'static str, &'static Metric, Value);

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

/// In both contexts, with a `context` label.
const ERRONEOUS_EVENTS: &str = "numberoferroneousevents";

/// Connect's connector-task, task-error and source-task MBeans of one task.
const TASK: &[Mapping] = &[
    ("totalrecordfailures", &catalog::NUMBER_OF_FAILED_RECORDS, Value::AsIs),
    ("totalrecorderrors", &catalog::TASK_RECORD_ERRORS_TOTAL, Value::AsIs),
    ("totalrecordsskipped", &catalog::TASK_RECORDS_SKIPPED_TOTAL, Value::AsIs),
    ("deadletterqueueproducefailures", &catalog::TASK_DEADLETTERQUEUE_PRODUCE_FAILURES_TOTAL, Value::AsIs),
    ("sourcerecordpolltotal", &catalog::SOURCE_RECORD_POLL_TOTAL, Value::AsIs),
    ("sourcerecordwritetotal", &catalog::SOURCE_RECORD_WRITE_TOTAL, Value::AsIs),
    ("offsetcommitfailurepercentage", &catalog::OFFSET_COMMIT_FAILURE_RATIO, Value::AsIs),
];

/// Connect's worker MBean (the one without a `connector` key).
const WORKER: &[Mapping] = &[
    ("connectorstartupfailuretotal", &catalog::WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL, Value::AsIs),
    ("taskstartupfailuretotal", &catalog::WORKER_TASK_STARTUP_FAILURE_TOTAL, Value::AsIs),
];

fn mapped(table: &[Mapping], key: &str) -> bool {
    table.iter().any(|(name, ..)| *name == key)
}

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
    pub debezium: BTreeMap<(String, Context), DebeziumBean>,
    /// Keyed by (connector, task).
    pub tasks: BTreeMap<(String, String), Attributes>,
    pub worker: Attributes,
}

impl Reading {
    /// Records that a Debezium MBean exists, even with none of our attributes: the join needs to know.
    pub fn debezium_bean(&mut self, server: &str, context: Context) -> &mut DebeziumBean {
        self.debezium.entry((server.to_owned(), context)).or_default()
    }

    /// Records a Debezium attribute, if it is one we export.
    pub fn debezium_attribute(&mut self, server: &str, context: Context, attribute: &str, value: f64) {
        let key = attribute_key(attribute);
        let table = match context {
            Context::Streaming => STREAMING,
            Context::Snapshot => SNAPSHOT,
        };
        let bean = self.debezium_bean(server, context);
        if (mapped(table, &key) || key == ERRONEOUS_EVENTS) && value.is_finite() {
            bean.attributes.insert(key, value);
        }
    }

    pub fn rows_scanned(&mut self, server: &str, table: &str, rows: f64) {
        if rows.is_finite() {
            self.debezium_bean(server, Context::Snapshot).rows_scanned.insert(table.to_owned(), rows);
        }
    }

    /// Records a Connect task attribute, if it is one we export.
    pub fn task_attribute(&mut self, connector: &str, task: &str, attribute: &str, value: f64) {
        let key = attribute_key(attribute);
        if mapped(TASK, &key) && value.is_finite() {
            self.tasks.entry((connector.to_owned(), task.to_owned())).or_default().insert(key, value);
        }
    }

    /// Records a Connect worker attribute, if it is one we export.
    pub fn worker_attribute(&mut self, attribute: &str, value: f64) {
        let key = attribute_key(attribute);
        if mapped(WORKER, &key) && value.is_finite() {
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

impl BridgeObservation {
    /// `cluster` and `connector` for a Debezium `server`: joined on `topic.prefix` when the
    /// Connect source knows it, otherwise the configured cluster and an empty connector.
    fn owner<'a>(&'a self, facts: &'a Facts, server: &str) -> (&'a str, &'a str) {
        match facts.connector_for_server(self.connect_cluster.as_deref(), server) {
            Some(known) => (&known.cluster, &known.connector),
            None => (self.connect_cluster.as_deref().unwrap_or_default(), ""),
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
            if *context == Context::Streaming {
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
            let table = match context {
                Context::Streaming => STREAMING,
                Context::Snapshot => SNAPSHOT,
            };
            push_mapped(out, table, &bean.attributes, &labels);
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
    }

    fn summary(&self) -> Vec<StatusLine> {
        self.reading
            .debezium
            .iter()
            .filter(|((_, context), _)| *context == Context::Streaming)
            .map(|((server, _), bean)| {
                let connected = bean.attributes.get("connected") == Some(&1.0);
                StatusLine {
                    subject: format!("server {server}"),
                    state: if connected { "streaming" } else { "disconnected" }.to_owned(),
                    healthy: connected,
                    detail: bean
                        .attributes
                        .get("millisecondsbehindsource")
                        .filter(|lag| **lag >= 0.0)
                        .map(|lag| format!("{lag} ms behind source")),
                }
            })
            .collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join::DebeziumConnector;

    #[test]
    fn attribute_names_of_every_dialect_meet() {
        for name in ["MilliSecondsBehindSource", "millisecondsbehindsource", "milli_seconds_behind_source"] {
            assert_eq!(attribute_key(name), "millisecondsbehindsource");
        }
        assert_eq!(attribute_key("total-record-failures"), attribute_key("total_record_failures"));
    }

    #[test]
    fn only_a_wholly_quoted_value_is_unquoted() {
        assert_eq!(unquoted(r#""a,b\n\"c\"""#), "a,b\n\"c\"");
        for as_is in ["plain", r#""a"b"#, r#""open"#, r#""bad \t escape""#, r#"mid"dle"#] {
            assert!(matches!(unquoted(as_is), Cow::Borrowed(value) if value == as_is), "{as_is}");
        }
    }

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
        reading.debezium_attribute("orders", Context::Streaming, "MilliSecondsBehindSource", -1.0);
        reading.debezium_attribute("orders", Context::Streaming, "MilliSecondsSinceLastEvent", 1500.0);
        reading.debezium_attribute("orders", Context::Streaming, "SourceEventPosition", 3.0);
        let observation = BridgeObservation { reading, connect_cluster: None };
        let mut out = Samples::default();
        observation.render("w1", &facts(), &mut out);
        assert!(out.get(&catalog::MILLI_SECONDS_BEHIND_SOURCE).is_empty());
        let since = out.get(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT);
        assert_eq!(since, [(vec!["dc1".to_owned(), "orders-cdc".to_owned(), "orders".to_owned()], 1500.0)]);
    }

    #[test]
    fn the_streaming_join_needs_a_connected_bean() {
        let mut reading = Reading::default();
        reading.debezium_attribute("orders", Context::Streaming, "Connected", 0.0);
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
