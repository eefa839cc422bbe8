//! Jolokia: Debezium's and Kafka Connect's MBeans of one Connect worker, as JSON over HTTP.
//!
//! Each JVM exposes only its own MBeans, so there is one target per worker. A poll is **one**
//! bulk `POST` carrying a read of every MBean pattern we need ([`PATTERNS`]), whatever the number
//! of connectors. Jolokia answers each read separately: a pattern that matches nothing yet
//! (no Debezium task on this worker, or all of them FAILED and unregistered) comes back as a
//! per-read 404, which is an answer, not a failure. A server error on one of Connect's own
//! patterns skips that pattern for the poll; any other refused read fails the poll.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::jmx::{BridgeObservation, Reading, unquote};
use crate::catalog::MbeanContext;
use crate::catalog::{ErrorReason, SourceKind};
use crate::config::JmxBridgeConfig;
use crate::http::HttpClient;
use crate::snapshot::Observation;
use crate::source::{PollError, Source};

/// Every MBean pattern read on each poll.
pub const PATTERNS: [&str; 6] = [
    "debezium.postgres:type=connector-metrics,context=streaming,server=*",
    "debezium.postgres:type=connector-metrics,context=snapshot,server=*",
    "kafka.connect:type=connector-task-metrics,*",
    "kafka.connect:type=task-error-metrics,*",
    "kafka.connect:type=source-task-metrics,*",
    "kafka.connect:type=connect-worker-metrics,*",
];

/// The bulk request body: one `read` per pattern.
pub fn request_body() -> String {
    let reads: Vec<Value> = PATTERNS.iter().map(|mbean| serde_json::json!({"type": "read", "mbean": mbean})).collect();
    Value::Array(reads).to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("unexpected JSON from Jolokia: {0}")]
    Json(#[from] serde_json::Error),
    #[error("Jolokia refused the read of {mbean}: status {status}: {error}")]
    Refused { mbean: String, status: u16, error: String },
    #[error("Jolokia answered the bulk read with no response at all")]
    Empty,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Body {
    Bulk(Vec<Response>),
    /// Jolokia answers a request it cannot take at all (bad JSON, forbidden) with one object.
    Single(Response),
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    value: Option<Value>,
    status: u16,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    mbean: String,
}

/// Parses a bulk read answer into the bridges' common model.
pub fn parse(body: &[u8]) -> Result<Reading, ParseError> {
    let responses = match serde_json::from_slice(body)? {
        // A bulk read is never empty: no answer to it is no reading, not a worker without beans.
        Body::Bulk(responses) if responses.is_empty() => return Err(ParseError::Empty),
        Body::Bulk(responses) => responses,
        Body::Single(response) => vec![response],
    };
    let mut reading = Reading::default();
    for response in responses {
        let mbean = response.request.map(|request| request.mbean).unwrap_or_default();
        match response.status {
            200 => {}
            404 if response.error_type.as_deref() == Some("javax.management.InstanceNotFoundException") => continue,
            // Connect's own MBeans throw while a connector is being created or moved ("No
            // status found for task ..."): skip that pattern this poll rather than lose every
            // series of the worker. Debezium's streaming beans are never skipped, because the
            // "RUNNING but not streaming" join must not read a failed read as an absent bean.
            status if status >= 500 && mbean.starts_with("kafka.connect:") => {
                tracing::debug!(%mbean, status, "Jolokia could not read this pattern now; skipped this poll");
                continue;
            }
            status => {
                let error = response.error.unwrap_or_default();
                return Err(ParseError::Refused { mbean, status, error });
            }
        }
        let Some(Value::Object(value)) = response.value else { continue };
        if mbean.contains('*') || mbean.contains('?') {
            // A pattern read: full ObjectName → attributes.
            for (name, attributes) in &value {
                if let Value::Object(attributes) = attributes {
                    add_bean(&mut reading, name, attributes);
                }
            }
        } else {
            add_bean(&mut reading, &mbean, &value);
        }
    }
    Ok(reading)
}

/// An ObjectName split into its domain and key properties.
struct ObjectName<'a> {
    domain: &'a str,
    properties: Vec<(&'a str, String)>,
}

impl<'a> ObjectName<'a> {
    /// Parses `domain:k=v,k="quoted, value"`; quoted values are unquoted.
    fn parse(name: &'a str) -> Option<Self> {
        let (domain, mut rest) = name.split_once(':')?;
        let mut properties = Vec::new();
        while !rest.is_empty() {
            let (key, after) = rest.split_once('=')?;
            let (value, after) = match after.strip_prefix('"') {
                Some(quoted) => unquote(quoted)?,
                None => match after.split_once(',') {
                    Some((value, after)) => (value.to_owned(), after),
                    None => (after.to_owned(), ""),
                },
            };
            properties.push((key, value));
            rest = after.strip_prefix(',').unwrap_or(after);
        }
        Some(ObjectName { domain, properties })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.properties.iter().find(|(name, _)| *name == key).map(|(_, value)| value.as_str())
    }
}

/// A JSON attribute value as a number: booleans are 0/1; strings, objects and NaN (`null`) are not.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn add_bean(reading: &mut Reading, name: &str, attributes: &Map<String, Value>) {
    let Some(bean) = ObjectName::parse(name) else { return };
    let kind = bean.get("type");
    if bean.domain.starts_with("debezium.") && kind == Some("connector-metrics") {
        let (Some(server), Some(context)) = (bean.get("server"), bean.get("context").and_then(MbeanContext::parse))
        else {
            return;
        };
        reading.debezium_bean(server, context);
        for (attribute, value) in attributes {
            match (attribute.as_str(), value) {
                ("RowsScanned", Value::Object(tables)) => {
                    for (table, rows) in tables {
                        if let Some(rows) = number(rows) {
                            reading.rows_scanned(server, table, rows);
                        }
                    }
                }
                (attribute, value) => {
                    if let Some(value) = number(value) {
                        reading.debezium_attribute(server, context, attribute, value);
                    }
                }
            }
        }
    } else if bean.domain == "kafka.connect" {
        match (kind, bean.get("connector"), bean.get("task")) {
            (
                Some("connector-task-metrics" | "task-error-metrics" | "source-task-metrics"),
                Some(connector),
                Some(task),
            ) => {
                for (attribute, value) in attributes {
                    if let Some(value) = number(value) {
                        reading.task_attribute(connector, task, attribute, value);
                    }
                }
            }
            (Some("connect-worker-metrics"), None, None) => {
                for (attribute, value) in attributes {
                    if let Some(value) = number(value) {
                        reading.worker_attribute(attribute, value);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Polls one worker's Jolokia agent.
pub struct JolokiaSource {
    target: String,
    url: String,
    client: HttpClient,
    connect_cluster: Option<String>,
    body: String,
}

impl JolokiaSource {
    pub fn new(config: &JmxBridgeConfig, client: HttpClient) -> Self {
        JolokiaSource {
            target: config.target(),
            url: config.url.0.to_string(),
            client,
            connect_cluster: config.connect_cluster.clone(),
            body: request_body(),
        }
    }
}

#[async_trait]
impl Source for JolokiaSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Jolokia
    }

    fn target(&self) -> &str {
        &self.target
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        let request = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(self.body.clone());
        let body = self.client.fetch(request).await?;
        let reading = parse(&body).map_err(|error| match error {
            ParseError::Json(_) | ParseError::Empty => PollError::new(ErrorReason::Decode, error.to_string()),
            ParseError::Refused { .. } => PollError::new(ErrorReason::HttpStatus, error.to_string()),
        })?;
        Ok(Arc::new(BridgeObservation { reading, connect_cluster: self.connect_cluster.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::join::{DebeziumConnector, Facts};
    use crate::snapshot::Samples;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/jolokia/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn facts() -> Facts {
        let connector = |name: &str| DebeziumConnector {
            cluster: "dc1".into(),
            connector: name.into(),
            running: true,
            database: "inventory".into(),
            slot: format!("dbz_{name}"),
            topic_prefix: name.into(),
        };
        Facts { debezium_connectors: vec![connector("inventory"), connector("billing")], ..Facts::default() }
    }

    #[test]
    fn a_server_error_on_a_connect_pattern_skips_only_that_pattern() {
        let body = br#"[
            {"request":{"mbean":"kafka.connect:type=connect-worker-metrics,*","type":"read"},"status":500,
             "error_type":"org.apache.kafka.connect.errors.ConnectException","error":"No status found for task x-0"},
            {"request":{"mbean":"kafka.connect:type=task-error-metrics,*","type":"read"},"status":200,
             "value":{"kafka.connect:connector=x,task=0,type=task-error-metrics":{"total-record-failures":2.0}}}
        ]"#;
        let reading = parse(body).expect("the other pattern still counts");
        assert_ne!(reading, Reading::default());
        let debezium = br#"[{"request":{"mbean":"debezium.postgres:type=connector-metrics,context=streaming,server=*","type":"read"},
            "status":500,"error_type":"java.lang.RuntimeException","error":"boom"}]"#;
        assert!(parse(debezium).is_err(), "a failed read of Debezium's beans is not an absent bean");
    }

    fn rendered(reading: Reading) -> Samples {
        let mut out = Samples::default();
        BridgeObservation { reading, connect_cluster: None }.render("worker-1", &facts(), &mut out);
        out
    }

    fn value(out: &Samples, metric: &'static catalog::Metric, labels: &[&str]) -> Option<f64> {
        out.get(metric).iter().find(|(values, _)| values == labels).map(|(_, value)| *value)
    }

    #[test]
    fn the_request_is_the_recorded_one_without_the_redundant_exact_read() {
        let recorded: Vec<Value> = serde_json::from_slice(&fixture("bulk-request.json")).unwrap();
        let ours: Vec<Value> = serde_json::from_str(&request_body()).unwrap();
        assert_eq!(ours[..], recorded[..PATTERNS.len()]);
    }

    #[test]
    fn a_running_worker_gives_lag_events_and_task_errors() {
        let reading = parse(&fixture("bulk-running.json")).unwrap();
        assert_eq!(reading.debezium.len(), 4, "streaming and snapshot beans of two servers");
        assert_eq!(reading.tasks.len(), 2);
        let out = rendered(reading);
        let inventory = ["dc1", "inventory", "inventory"];
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_BEHIND_SOURCE, &inventory), Some(62.0));
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_SINCE_LAST_EVENT, &inventory), Some(7309.0));
        assert_eq!(value(&out, &catalog::CONNECTED, &inventory), Some(1.0));
        assert_eq!(value(&out, &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL, &inventory), Some(5.0));
        assert_eq!(value(&out, &catalog::QUEUE_TOTAL_CAPACITY, &inventory), Some(8192.0));
        assert_eq!(value(&out, &catalog::NUMBER_OF_COMMITTED_TRANSACTIONS_TOTAL, &inventory), Some(1.0));
        assert_eq!(value(&out, &catalog::SNAPSHOT_COMPLETED, &inventory), Some(1.0));
        assert_eq!(value(&out, &catalog::SNAPSHOT_RUNNING, &inventory), Some(0.0));
        assert_eq!(value(&out, &catalog::ROWS_SCANNED, &["dc1", "inventory", "inventory", "public.outbox"]), Some(0.0));
        assert_eq!(
            value(&out, &catalog::NUMBER_OF_ERRONEOUS_EVENTS, &["dc1", "billing", "billing", "snapshot"]),
            Some(0.0)
        );
        let task = ["dc1", "billing", "0"];
        assert_eq!(value(&out, &catalog::NUMBER_OF_FAILED_RECORDS, &task), Some(0.0));
        assert_eq!(value(&out, &catalog::SOURCE_RECORD_POLL_TOTAL, &task), Some(5.0));
        assert_eq!(value(&out, &catalog::SOURCE_RECORD_WRITE_TOTAL, &task), Some(5.0));
        assert_eq!(value(&out, &catalog::OFFSET_COMMIT_FAILURE_RATIO, &task), Some(0.0));
        assert_eq!(value(&out, &catalog::WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL, &["dc1", "worker-1"]), Some(0.0));
        // The snapshot bean's MilliSecondsSinceLastEvent is -1 and has no streaming metric anyway.
        assert_eq!(out.get(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT).len(), 2);
    }

    #[test]
    fn a_failed_task_has_no_debezium_beans_and_its_join_says_not_streaming() {
        let reading = parse(&fixture("bulk-task-failed.json")).unwrap();
        let servers: Vec<&str> = reading.debezium.keys().map(|(server, _)| server.as_str()).collect();
        assert_eq!(servers, ["inventory", "inventory"]);
        assert!(reading.tasks.contains_key(&("billing".to_owned(), "0".to_owned())), "Connect still reports it");
        let mut facts = facts();
        facts.jmx.bridges_configured = 1;
        BridgeObservation { reading, connect_cluster: None }.share("worker-1", &mut facts);
        assert!(facts.jmx.streaming("dc1", "inventory"));
        assert!(!facts.jmx.streaming("dc1", "billing"));
    }

    #[test]
    fn a_pattern_without_a_match_is_an_empty_answer() {
        assert_eq!(parse(&fixture("read-pattern-no-match.json")).unwrap(), Reading::default());
        // An exact read of a missing bean is the same InstanceNotFoundException.
        let single = parse(&fixture("read-not-found.json")).unwrap();
        assert_eq!(single, Reading::default());
    }

    #[test]
    fn an_exact_read_gives_the_attributes_directly() {
        let reading = parse(&fixture("read-exact.json")).unwrap();
        assert_eq!(reading.worker.get("connectorstartupfailuretotal"), Some(&0.0));
    }

    #[test]
    fn refusals_and_garbage_are_errors() {
        let forbidden =
            br#"{"status":403,"error_type":"java.lang.Exception","error":"java.lang.Exception : Origin not allowed"}"#;
        let error = parse(forbidden).unwrap_err().to_string();
        assert!(error.contains("status 403") && error.contains("Origin not allowed"), "{error}");
        assert!(matches!(parse(b"<html>502</html>"), Err(ParseError::Json(_))));
        assert!(matches!(parse(b"[]"), Err(ParseError::Empty)), "a bulk read always has answers");
    }

    #[test]
    fn object_names_with_quoted_values() {
        let name = ObjectName::parse(r#"kafka.connect:connector="a,b=\"c\"",task=0,type=task-error-metrics"#).unwrap();
        assert_eq!(name.domain, "kafka.connect");
        assert_eq!(name.get("connector"), Some(r#"a,b="c""#));
        assert_eq!(name.get("task"), Some("0"));
        assert_eq!(name.get("type"), Some("task-error-metrics"));
    }

    /// Recorded: Kafka's JmxReporter, as Connect uses it, named a task's bean after a connector
    /// whose name needs quoting, and Jolokia answered with the quoted name (see the README).
    #[test]
    fn a_quoted_connector_name_is_unquoted_as_java_quoted_it() {
        let reading = parse(&fixture("bulk-quoted-connector.json")).unwrap();
        let tasks: Vec<&(String, String)> = reading.tasks.keys().collect();
        assert_eq!(tasks, [&("a\nb \"c\" d*e?f\\g,h=i:j".to_owned(), "0".to_owned())]);
    }

    #[test]
    fn quoting_escapes_are_those_of_object_name_quote() {
        let name = ObjectName::parse(r#"d:a="\n\\\"\*\?",b=1"#).unwrap();
        assert_eq!(name.get("a"), Some("\n\\\"*?"));
        assert_eq!(name.get("b"), Some("1"));
        // ObjectName.unquote refuses any other escape, and so do we.
        assert!(ObjectName::parse(r#"d:a="\t""#).is_none());
        assert!(ObjectName::parse(r#"d:a="open"#).is_none());
    }
}
