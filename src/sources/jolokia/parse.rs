//! Pure: Jolokia's answer to the bulk read → the bridges' common [`Reading`]. Tested on
//! answers recorded from a real agent (tests/fixtures/jolokia).

use serde_json::{Map, Value};

use super::client::Body;
use super::error::JolokiaError;
use crate::catalog::MbeanContext;
use crate::sources::jmx::{Reading, unquote};

/// Parses a bulk read answer into the bridges' common model.
pub fn parse(body: &[u8]) -> Result<Reading, JolokiaError> {
    let responses = match serde_json::from_slice(body)? {
        // A bulk read is never empty: no answer to it is no reading, not a worker without beans.
        Body::Bulk(responses) if responses.is_empty() => return Err(JolokiaError::Empty),
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
                return Err(JolokiaError::Refused { mbean, status, error });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::join::{DebeziumConnector, Facts};
    use crate::snapshot::{Observation, Samples};
    use crate::sources::jmx::BridgeObservation;

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
        assert!(matches!(parse(b"<html>502</html>"), Err(JolokiaError::Json(_))));
        assert!(matches!(parse(b"[]"), Err(JolokiaError::Empty)), "a bulk read always has answers");
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
