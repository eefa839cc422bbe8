//! Pure: a jmx_exporter exposition → the bridges' common [`Reading`], whichever naming dialect
//! its rules wrote (see the module doc). Tested on expositions recorded from a real
//! jmx_exporter and on the dialects' documented rules (tests/fixtures/jmx_exporter).

use super::client::{BLANKS, SampleLine};
use super::error::JmxExporterError;
use crate::catalog::MbeanContext;
use crate::sources::jmx::{Reading, attribute_key, unquoted};

/// Connect task MBean types as metric name prefixes, longest first (`_metrics` is dropped by Strimzi).
const TASK_PREFIXES: [&str; 6] = [
    "connector_task_metrics_",
    "task_error_metrics_",
    "source_task_metrics_",
    "connector_task_",
    "task_error_",
    "source_task_",
];

/// The Connect worker MBean as a metric name prefix: default naming, Debezium-style rules, Strimzi.
const WORKER_PREFIXES: [&str; 3] = ["connect_worker_metrics_", "worker_metrics_", "worker_"];

/// Parses a jmx_exporter exposition into the bridges' common model.
///
/// The text format is parsed by hand: label values hold any character, and `\\`, `\"` and
/// `\n` in them are escapes to decode once, or connector names stop matching Connect's. A
/// line outside the format fails the poll, as it fails a Prometheus scrape, rather than
/// silently losing its series.
pub fn parse(text: &str) -> Result<Reading, JmxExporterError> {
    let mut reading = Reading::default();
    let mut samples = 0;
    // Histograms' and summaries' samples are not single values: none of ours.
    let mut distributions: Vec<&str> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start_matches(BLANKS);
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.split_ascii_whitespace();
            if let (Some("TYPE"), Some(family), Some("histogram" | "summary")) =
                (words.next(), words.next(), words.next())
            {
                distributions.push(family);
            }
            continue;
        }
        let sample = SampleLine::parse(line).map_err(|problem| JmxExporterError::Line {
            line: index + 1,
            problem,
            text: line.chars().take(200).collect(),
        })?;
        samples += 1;
        if distributions.iter().any(|family| sample.belongs_to(family)) {
            continue;
        }
        add_sample(&mut reading, sample.name, |name| sample.label(name), sample.value);
    }
    if samples == 0 {
        return Err(JmxExporterError::Empty);
    }
    Ok(reading)
}

fn add_sample<'a>(reading: &mut Reading, name: &str, label: impl Fn(&str) -> Option<&'a str>, value: f64) {
    // jmx_exporter copies an MBean key's value as the ObjectName holds it, quoted when Kafka or
    // Debezium had to quote it (prometheus/jmx_exporter#361): the join needs the name itself.
    let key = |name: &str| label(name).map(unquoted);
    if let Some(attribute) = debezium_attribute(name) {
        // `name` in the debezium-examples rules, `server` in the default naming.
        let server = key("name").or_else(|| key("server"));
        let context = label("context").and_then(MbeanContext::parse);
        let (Some(server), Some(context)) = (server, context) else { return };
        match label("table") {
            Some(table) if attribute_key(attribute) == "rowsscanned" => reading.rows_scanned(&server, table, value),
            _ => reading.debezium_attribute(&server, context, attribute, value),
        }
    } else if let Some(rest) = name.strip_prefix("kafka_connect_") {
        match (key("connector"), key("task")) {
            (Some(connector), Some(task)) => {
                if let Some(attribute) = TASK_PREFIXES.iter().find_map(|prefix| rest.strip_prefix(prefix)) {
                    reading.task_attribute(&connector, &task, attribute, value);
                }
            }
            (None, None) => {
                if let Some(attribute) = WORKER_PREFIXES.iter().find_map(|prefix| rest.strip_prefix(prefix)) {
                    reading.worker_attribute(attribute, value);
                }
            }
            _ => {}
        }
    }
}

/// The attribute part of a Debezium connector-metrics sample name, in either naming.
fn debezium_attribute(name: &str) -> Option<&str> {
    if let Some(attribute) = name.strip_prefix("debezium_metrics_") {
        return Some(attribute);
    }
    let rest = name.strip_prefix("debezium_")?;
    rest.split_once("_connector_metrics_").map(|(_, attribute)| attribute)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::join::{DebeziumConnector, Facts};
    use crate::snapshot::{Observation, Samples};
    use crate::sources::jmx::BridgeObservation;
    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/jmx_exporter/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// Renders with a Connect cluster `dc1` whose connector `outbox-connector` has topic.prefix `shop`.
    fn rendered(text: &str) -> Samples {
        let facts = Facts {
            debezium_connectors: vec![DebeziumConnector {
                cluster: "dc1".into(),
                connector: "outbox-connector".into(),
                running: true,
                database: "inventory".into(),
                slot: "dbz".into(),
                topic_prefix: "shop".into(),
            }],
            ..Facts::default()
        };
        let mut out = Samples::default();
        BridgeObservation { reading: parse(text).unwrap(), connect_cluster: None }.render("w1", &facts, &mut out);
        out
    }

    fn value(out: &Samples, metric: &'static catalog::Metric, labels: &[&str]) -> Option<f64> {
        out.get(metric).iter().find(|(values, _)| values == labels).map(|(_, value)| *value)
    }

    const SHOP: [&str; 3] = ["dc1", "outbox-connector", "shop"];
    const TASK: [&str; 3] = ["dc1", "outbox-connector", "0"];

    /// Real jmx_exporter 0.17.2 output, lower-cased Debezium-style rules.
    #[test]
    fn the_real_jmx_exporter_output() {
        let out = rendered(&fixture("jmx_exporter-0.17.2.debezium.prom"));
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_BEHIND_SOURCE, &SHOP), Some(284.0));
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_SINCE_LAST_EVENT, &SHOP), Some(5791.0));
        assert_eq!(value(&out, &catalog::CONNECTED, &SHOP), Some(1.0));
        assert_eq!(value(&out, &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL, &SHOP), Some(1.0));
        assert_eq!(value(&out, &catalog::QUEUE_REMAINING_CAPACITY, &SHOP), Some(8192.0));
        assert_eq!(value(&out, &catalog::SNAPSHOT_RUNNING, &SHOP), Some(0.0));
        assert_eq!(value(&out, &catalog::NUMBER_OF_FAILED_RECORDS, &TASK), Some(0.0));
        assert_eq!(value(&out, &catalog::SOURCE_RECORD_WRITE_TOTAL, &TASK), Some(1.0));
        assert_eq!(value(&out, &catalog::OFFSET_COMMIT_FAILURE_RATIO, &TASK), Some(0.0));
        assert_eq!(value(&out, &catalog::WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL, &["dc1", "w1"]), Some(0.0));
        assert_eq!(out.get(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT).len(), 1, "the snapshot context's -1 is no lag");
    }

    /// The same numbers from each dialect give the same samples.
    #[test]
    fn every_dialect_maps_to_the_same_names() {
        let real = rendered(&fixture("jmx_exporter-0.17.2.debezium.prom"));
        for name in ["debezium-examples.prom", "default-naming.prom", "strimzi.prom"] {
            let out = rendered(&fixture(name));
            for metric in [
                &catalog::MILLI_SECONDS_BEHIND_SOURCE,
                &catalog::CONNECTED,
                &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL,
                &catalog::NUMBER_OF_FAILED_RECORDS,
                &catalog::SOURCE_RECORD_POLL_TOTAL,
                &catalog::OFFSET_COMMIT_FAILURE_RATIO,
            ] {
                assert!(!out.get(metric).is_empty(), "{name}: no {}", metric.name);
            }
            if name != "strimzi.prom" {
                assert_eq!(
                    out.get(&catalog::MILLI_SECONDS_BEHIND_SOURCE),
                    real.get(&catalog::MILLI_SECONDS_BEHIND_SOURCE)
                );
            }
        }
        let examples = rendered(&fixture("debezium-examples.prom"));
        assert_eq!(
            value(&examples, &catalog::ROWS_SCANNED, &["dc1", "outbox-connector", "shop", "public.orders"]),
            Some(1200.0)
        );
        let strimzi = rendered(&fixture("strimzi.prom"));
        assert_eq!(value(&strimzi, &catalog::NUMBER_OF_FAILED_RECORDS, &TASK), Some(3.0));
        assert_eq!(value(&strimzi, &catalog::TASK_RECORDS_SKIPPED_TOTAL, &TASK), Some(3.0));
    }

    #[test]
    fn html_is_not_an_exposition() {
        assert!(parse("<html><body>502 Bad Gateway</body></html>").is_err());
        assert!(matches!(parse("# HELP x nothing\n\n"), Err(JmxExporterError::Empty)));
    }

    #[test]
    fn a_line_outside_the_format_fails_the_parse_and_is_named() {
        let text = "# HELP m x\nkafka_connect_worker_metrics_connector_startup_failure_total 0.0\nm{a=\"b} 1\n";
        match parse(text) {
            Err(JmxExporterError::Line { line: 3, problem, text }) => {
                assert_eq!((problem, text.as_str()), ("a label value has no closing quote", "m{a=\"b} 1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn histogram_and_summary_samples_are_not_values() {
        let labels = r#"{context="streaming",name="shop",plugin="postgres",quantile="0.5"}"#;
        let text = format!(
            "# TYPE debezium_metrics_connected summary\ndebezium_metrics_connected{labels} 1\n\
             debezium_metrics_connected_count{labels} 7\ndebezium_metrics_queuetotalcapacity{labels} 8\n"
        );
        let reading = parse(&text).unwrap();
        let bean = &reading.debezium[&("shop".to_owned(), MbeanContext::Streaming)];
        assert_eq!(bean.attributes.keys().collect::<Vec<_>>(), ["queuetotalcapacity"]);
    }

    /// A label value as jmx_exporter writes it in the text format: `\`, `"` and newline escaped.
    fn escaped(value: &str) -> String {
        value.replace('\\', r"\\").replace('"', r#"\""#).replace('\n', r"\n")
    }

    /// A connector name (and `topic.prefix`) using every character the format lets a label
    /// value hold: the three escaped ones and those a naive split on `,` `=` `}` trips over.
    const AWKWARD: &str = "a\\b \"c\"\nd=e&f?g}h,i{j ü";

    /// The real output, with the connector and its `topic.prefix` renamed to [`AWKWARD`].
    fn awkward_fixture() -> String {
        fixture("jmx_exporter-0.17.2.debezium.prom")
            .replace(r#"connector="outbox-connector""#, &format!(r#"connector="{}""#, escaped(AWKWARD)))
            .replace(r#"name="shop""#, &format!(r#"name="{}""#, escaped(AWKWARD)))
    }

    #[test]
    fn label_values_are_unescaped_exactly_once_and_may_hold_any_character() {
        let reading = parse(&awkward_fixture()).unwrap();
        let tasks: Vec<&(String, String)> = reading.tasks.keys().collect();
        assert_eq!(tasks, [&(AWKWARD.to_owned(), "0".to_owned())]);
        let servers: Vec<&str> = reading.debezium.keys().map(|(server, _)| server.as_str()).collect();
        assert_eq!(servers, [AWKWARD, AWKWARD], "streaming and snapshot");
    }

    /// jmx_exporter copies an MBean key's value as the ObjectName holds it: a connector name
    /// Kafka's JmxReporter had to quote (`a,b` + newline + `c`) keeps its quotes and its
    /// ObjectName escapes inside the label value (prometheus/jmx_exporter#361, by design).
    #[test]
    fn object_name_quoting_inside_a_label_value_is_undone() {
        let quoted = r#"connector="\"a,b\\nc \\\"d\\\" e\\*\"""#;
        let text = fixture("jmx_exporter-0.17.2.debezium.prom").replace(r#"connector="outbox-connector""#, quoted);
        let reading = parse(&text).unwrap();
        let tasks: Vec<&(String, String)> = reading.tasks.keys().collect();
        assert_eq!(tasks, [&("a,b\nc \"d\" e*".to_owned(), "0".to_owned())]);
    }

    #[test]
    fn awkward_names_still_join_to_their_connector() {
        let facts = Facts {
            debezium_connectors: vec![DebeziumConnector {
                cluster: "dc1".into(),
                connector: AWKWARD.into(),
                running: true,
                database: "inventory".into(),
                slot: "dbz".into(),
                topic_prefix: AWKWARD.into(),
            }],
            ..Facts::default()
        };
        let mut out = Samples::default();
        let reading = parse(&awkward_fixture()).unwrap();
        BridgeObservation { reading, connect_cluster: None }.render("w1", &facts, &mut out);
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_BEHIND_SOURCE, &["dc1", AWKWARD, AWKWARD]), Some(284.0));
        assert_eq!(value(&out, &catalog::SOURCE_RECORD_WRITE_TOTAL, &["dc1", AWKWARD, "0"]), Some(1.0));
    }
}
