//! Prometheus jmx_exporter: Debezium's and Kafka Connect's MBeans of one Connect worker, as
//! text exposition. One `GET` per worker per poll.
//!
//! jmx_exporter names metrics after its rules, so we recognise the dialects people run:
//! - debezium-examples / Confluent rules: `debezium_metrics_MilliSecondsBehindSource{plugin,name,context}`,
//!   also lower-cased (`debezium_metrics_millisecondsbehindsource`, what jmx_exporter 0.17 emits
//!   with `lowercaseOutputName`), and `debezium_metrics_RowsScanned{...,table}`;
//! - jmx_exporter's default naming without rules:
//!   `debezium_postgres_connector_metrics_MilliSecondsBehindSource{context,server}`;
//! - Connect, by the same rules or by default: `kafka_connect_task_error_metrics_total_record_failures{connector,task}`;
//!   by Strimzi's rules: `kafka_connect_task_error_total_record_failures{connector,task}`.
//!
//! Everything else (JVM, producer, consumer metrics) is ignored.

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;

use super::jmx::{BridgeObservation, Reading, attribute_key, unquoted};
use crate::catalog::MbeanContext;
use crate::catalog::{ErrorReason, SourceKind};
use crate::config::JmxBridgeConfig;
use crate::http::HttpClient;
use crate::snapshot::Observation;
use crate::source::{PollError, Source};

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

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a Prometheus text exposition: line {line}: {problem}: {text:?}")]
    Line { line: usize, problem: &'static str, text: String },
    #[error("no samples in the answer; is this a jmx_exporter /metrics endpoint?")]
    Empty,
}

/// Parses a jmx_exporter exposition into the bridges' common model.
///
/// The text format is parsed by hand: label values hold any character, and `\\`, `\"` and
/// `\n` in them are escapes to decode once, or connector names stop matching Connect's. A
/// line outside the format fails the poll, as it fails a Prometheus scrape, rather than
/// silently losing its series.
pub fn parse(text: &str) -> Result<Reading, ParseError> {
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
        let sample = SampleLine::parse(line).map_err(|problem| ParseError::Line {
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
        return Err(ParseError::Empty);
    }
    Ok(reading)
}

/// What separates tokens within a line of the text format.
const BLANKS: [char; 2] = [' ', '\t'];

/// One sample line: `name{label="value",...} value [timestamp]`. Values without an escape are
/// borrowed from the text.
#[derive(Debug, PartialEq)]
struct SampleLine<'a> {
    name: &'a str,
    labels: Vec<(&'a str, Cow<'a, str>)>,
    value: f64,
}

impl<'a> SampleLine<'a> {
    /// Parses a line that is neither empty nor a comment; the error says what is wrong.
    fn parse(line: &'a str) -> Result<Self, &'static str> {
        let (name, rest) = identifier(line).ok_or("expected a metric name")?;
        let mut labels = Vec::new();
        let rest = match rest.trim_start_matches(BLANKS).strip_prefix('{') {
            Some(inside) => label_pairs(inside, &mut labels)?,
            None if rest.starts_with(BLANKS) => rest,
            None => return Err("expected `{` or a blank after the metric name"),
        };
        let mut fields = rest.split(BLANKS).filter(|field| !field.is_empty());
        // Rust reads Go's `NaN`, `+Inf` and `-Inf` too.
        let value = fields.next().ok_or("no value")?.parse().map_err(|_| "the value is not a number")?;
        if let Some(timestamp) = fields.next() {
            timestamp.parse::<i64>().map_err(|_| "the timestamp is not an integer")?;
        }
        if fields.next().is_some() {
            return Err("text after the timestamp");
        }
        Ok(SampleLine { name, labels, value })
    }

    fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(label, _)| *label == name).map(|(_, value)| value.as_ref())
    }

    /// Whether this sample is one of the series of histogram or summary `family`.
    fn belongs_to(&self, family: &str) -> bool {
        self.name.strip_prefix(family).is_some_and(|suffix| matches!(suffix, "" | "_bucket" | "_sum" | "_count"))
    }
}

/// A metric or label name at the start of `text` (`[a-zA-Z_:][a-zA-Z0-9_:]*`; `:` is not
/// allowed in label names, which only matters for input we would reject anyway), and the rest.
fn identifier(text: &str) -> Option<(&str, &str)> {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(text.len());
    let name = &text[..end];
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| (name, &text[end..]))
}

/// Reads `name="value",...}` (after the `{`) into `labels`; returns what follows the `}`.
fn label_pairs<'a>(mut rest: &'a str, labels: &mut Vec<(&'a str, Cow<'a, str>)>) -> Result<&'a str, &'static str> {
    loop {
        rest = rest.trim_start_matches(BLANKS);
        if let Some(after) = rest.strip_prefix('}') {
            return Ok(after);
        }
        let (name, after) = identifier(rest).ok_or("expected a label name or `}`")?;
        let after = after.trim_start_matches(BLANKS).strip_prefix('=').ok_or("expected `=` after a label name")?;
        let after = after.trim_start_matches(BLANKS).strip_prefix('"').ok_or("expected a quoted label value")?;
        let (value, after) = label_value(after)?;
        if labels.iter().any(|(label, _)| *label == name) {
            return Err("a label name appears twice");
        }
        labels.push((name, value));
        rest = after.trim_start_matches(BLANKS);
        match rest.strip_prefix(',') {
            // A trailing comma is allowed: jmx_exporter 0.17 writes one.
            Some(after) => rest = after,
            None => return rest.strip_prefix('}').ok_or("expected `,` or `}` after a label value"),
        }
    }
}

/// Reads a label value after its opening quote: the value, unescaped, and what follows the
/// closing quote. Like Prometheus, an escape other than `\\`, `\"` and `\n` is kept as written.
fn label_value(text: &str) -> Result<(Cow<'_, str>, &str), &'static str> {
    const UNTERMINATED: &str = "a label value has no closing quote";
    let end = text.find(['"', '\\']).ok_or(UNTERMINATED)?;
    if text.as_bytes()[end] == b'"' {
        return Ok((Cow::Borrowed(&text[..end]), &text[end + 1..]));
    }
    let mut value = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(value), &text[index + 1..])),
            '\\' => match chars.next().ok_or(UNTERMINATED)?.1 {
                '\\' => value.push('\\'),
                '"' => value.push('"'),
                'n' => value.push('\n'),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            c => value.push(c),
        }
    }
    Err(UNTERMINATED)
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

/// Scrapes one worker's jmx_exporter.
pub struct JmxExporterSource {
    target: String,
    url: String,
    client: HttpClient,
    connect_cluster: Option<String>,
}

impl JmxExporterSource {
    pub fn new(config: &JmxBridgeConfig, client: HttpClient) -> Self {
        JmxExporterSource {
            target: config.target(),
            url: config.url.0.to_string(),
            client,
            connect_cluster: config.connect_cluster.clone(),
        }
    }
}

#[async_trait]
impl Source for JmxExporterSource {
    fn kind(&self) -> SourceKind {
        SourceKind::JmxExporter
    }

    fn target(&self) -> &str {
        &self.target
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        // Ask for the classic text format: jmx_exporter 1.x may otherwise answer OpenMetrics.
        let request = self.client.get(&self.url).header(reqwest::header::ACCEPT, "text/plain; version=0.0.4");
        let body = self.client.fetch(request).await?;
        let text = std::str::from_utf8(&body)
            .map_err(|error| PollError::new(ErrorReason::Decode, format!("{}: not UTF-8: {error}", self.url)))?;
        let reading =
            parse(text).map_err(|error| PollError::new(ErrorReason::Decode, format!("{}: {error}", self.url)))?;
        Ok(Arc::new(BridgeObservation { reading, connect_cluster: self.connect_cluster.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::join::{DebeziumConnector, Facts};
    use crate::snapshot::Samples;

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
        assert!(matches!(parse("# HELP x nothing\n\n"), Err(ParseError::Empty)));
    }

    fn line(text: &str) -> Result<SampleLine<'_>, &'static str> {
        SampleLine::parse(text)
    }

    fn labels<'a>(sample: &'a SampleLine) -> Vec<(&'a str, &'a str)> {
        sample.labels.iter().map(|(name, value)| (*name, value.as_ref())).collect()
    }

    #[test]
    fn escapes_in_label_values_are_decoded_once() {
        let sample = line(r#"m{a="x\\n",b="x\n",c="\"q\"",d="x\\\\y"} 1"#).unwrap();
        assert_eq!(labels(&sample), [("a", "x\\n"), ("b", "x\n"), ("c", "\"q\""), ("d", "x\\\\y")]);
        // Prometheus keeps any other escape as written.
        assert_eq!(labels(&line(r#"m{a="x\ty"} 1"#).unwrap()), [("a", r"x\ty")]);
    }

    #[test]
    fn the_grammar_of_a_sample_line() {
        let sample = line("m:x_1 { a = \"1\" ,\tb=\"\" , } 2.5 1700000000000").unwrap();
        assert_eq!((sample.name, labels(&sample), sample.value), ("m:x_1", vec![("a", "1"), ("b", "")], 2.5));
        assert_eq!(line("m 3").unwrap().value, 3.0);
        assert_eq!(line("m{} -4e-1").unwrap().value, -0.4);
        assert_eq!(line("m +Inf").unwrap().value, f64::INFINITY);
        assert!(line("m NaN").unwrap().value.is_nan());
        for (bad, problem) in [
            ("1m 1", "expected a metric name"),
            ("m1.0", "expected `{` or a blank after the metric name"),
            ("m{a=1} 1", "expected a quoted label value"),
            (r#"m{a="1} 1"#, "a label value has no closing quote"),
            (r#"m{a="1\"} 1"#, "a label value has no closing quote"),
            (r#"m{a="1" b="2"} 1"#, "expected `,` or `}` after a label value"),
            (r#"m{a="1",a="2"} 1"#, "a label name appears twice"),
            (r#"m{,} 1"#, "expected a label name or `}`"),
            (r#"m{a="1"}"#, "no value"),
            ("m one", "the value is not a number"),
            ("m 1 soon", "the timestamp is not an integer"),
            ("m 1 2 3", "text after the timestamp"),
        ] {
            assert_eq!(line(bad).err(), Some(problem), "{bad}");
        }
    }

    #[test]
    fn a_line_outside_the_format_fails_the_parse_and_is_named() {
        let text = "# HELP m x\nkafka_connect_worker_metrics_connector_startup_failure_total 0.0\nm{a=\"b} 1\n";
        match parse(text) {
            Err(ParseError::Line { line: 3, problem, text }) => {
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
