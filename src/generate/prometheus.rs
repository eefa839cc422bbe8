//! Prometheus outputs: the rule file, its promtool test cases (from each alert's example) and
//! the same rules as a Prometheus Operator `PrometheusRule`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::dashboard;
use super::fixture::{ExampleSeries, SECOND_EXPORTER_INSTANCE, SERIES_MINUTES, STEP, ha_pair};
use super::lang::Text;
use super::options::{GenerateError, Options, yaml};
use super::promql::duration;
use super::recording::{self, Recording};
use super::rules::{Alert, Group, healthy_checked_at};

/// The rule file's name; the test file and the PrometheusRule refer to it.
pub const RULES_FILE: &str = "debezium-exporter.rules.yml";

#[derive(Serialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Serialize)]
pub struct RuleGroup {
    name: &'static str,
    rules: Vec<Rule>,
}

/// A recording or an alerting rule, as Prometheus's rule file spells them.
#[derive(Serialize)]
#[serde(untagged)]
enum Rule {
    Record { record: &'static str, expr: String },
    Alert(AlertRule),
}

#[derive(Serialize)]
struct AlertRule {
    alert: &'static str,
    expr: String,
    #[serde(rename = "for")]
    for_: String,
    labels: BTreeMap<&'static str, &'static str>,
    annotations: Annotations,
}

#[derive(Serialize)]
struct Annotations {
    summary: String,
    description: String,
    runbook_url: String,
    dashboard_url: String,
}

fn annotations(alert: &Alert, options: &Options) -> Annotations {
    let text = |text: &Text| text.get(options.lang).to_owned();
    Annotations {
        summary: text(&alert.summary),
        description: text(&alert.description),
        runbook_url: format!("{}#{}", options.settings.runbook_url, alert.anchor()),
        dashboard_url: dashboard::panel_url(&options.settings, alert),
    }
}

/// The recording group first, then the alerting groups.
fn rule_groups(recordings: &[Recording], groups: &[Group], options: &Options) -> Vec<RuleGroup> {
    let recording = RuleGroup {
        name: recording::GROUP,
        rules: recordings
            .iter()
            .map(|recording| Rule::Record { record: recording.metric.name, expr: recording.expr.clone() })
            .collect(),
    };
    let alerting = groups.iter().map(|group| RuleGroup {
        name: group.name,
        rules: group
            .alerts
            .iter()
            .map(|alert| {
                Rule::Alert(AlertRule {
                    alert: alert.name,
                    expr: alert.expr.clone(),
                    for_: duration(alert.for_),
                    labels: BTreeMap::from([("severity", alert.severity.as_str())]),
                    annotations: annotations(alert, options),
                })
            })
            .collect(),
    });
    std::iter::once(recording).chain(alerting).collect()
}

pub fn rules_file(recordings: &[Recording], groups: &[Group], options: &Options) -> Result<String, GenerateError> {
    yaml(&RuleFile { groups: rule_groups(recordings, groups, options) })
}

#[derive(Serialize)]
struct PrometheusRule {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: RuleFile,
}

#[derive(Serialize)]
pub struct Metadata {
    pub name: &'static str,
    pub namespace: String,
    pub labels: BTreeMap<&'static str, String>,
}

pub fn prometheus_rule(recordings: &[Recording], groups: &[Group], options: &Options) -> Result<String, GenerateError> {
    yaml(&PrometheusRule {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: Metadata {
            name: "debezium-exporter",
            namespace: options.settings.namespace.clone(),
            labels: BTreeMap::from([
                ("app.kubernetes.io/name", "debezium-exporter".to_owned()),
                ("release", options.settings.release.clone()),
            ]),
        },
        spec: RuleFile { groups: rule_groups(recordings, groups, options) },
    })
}

#[derive(Serialize)]
struct TestFile {
    rule_files: Vec<&'static str>,
    evaluation_interval: String,
    /// Recording group first, as the module doc of `recording` explains; without an order
    /// promtool evaluates the groups in random order.
    group_eval_order: Vec<&'static str>,
    tests: Vec<TestCase>,
}

#[derive(Serialize)]
struct TestCase {
    name: String,
    interval: String,
    input_series: Vec<InputSeries>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alert_rule_test: Vec<AlertTest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    promql_expr_test: Vec<ExprTest>,
}

#[derive(Serialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(Serialize)]
struct AlertTest {
    eval_time: String,
    alertname: &'static str,
    exp_alerts: Vec<ExpAlert>,
}

#[derive(Serialize)]
struct ExpAlert {
    exp_labels: BTreeMap<&'static str, String>,
    exp_annotations: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct ExprTest {
    expr: String,
    eval_time: String,
    exp_samples: Vec<ExpSample>,
}

#[derive(Serialize)]
struct ExpSample {
    labels: String,
    value: f64,
}

/// Renders `{{ $labels.x }}` (and `{{ $labels.x | urlquery }}`) the way Prometheus will for
/// the example's labels. Anything else between braces is refused, so the expected text is
/// exact, and so is a label the example does not carry: an annotation must not print what the
/// expression aggregates away.
pub fn render_template(template: &str, alert: &Alert) -> Result<String, GenerateError> {
    render(template, alert.name, &alert.example.labels, Missing::Refuse)
}

/// What to do with a `$labels.x` the labels lack.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Missing {
    Refuse,
    /// Print nothing, as Prometheus does (for a variant that knowingly keeps fewer labels).
    Empty,
}

fn render(
    template: &str,
    alert: &str,
    labels: &[(&'static str, String)],
    missing: Missing,
) -> Result<String, GenerateError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| GenerateError::Definition(format!("{alert}: unclosed `{{{{` in {template:?}")))?;
        let inner = rest[start + 2..start + end].trim();
        let (inner, urlquery) = match inner.split_once('|') {
            Some((inner, pipe)) if pipe.trim() == "urlquery" => (inner.trim(), true),
            _ => (inner, false),
        };
        let label = inner.strip_prefix("$labels.").filter(|label| !label.contains(['|', ' '])).ok_or_else(|| {
            GenerateError::Definition(format!(
                "{alert}: only {{{{ $labels.x }}}} and {{{{ $labels.x | urlquery }}}} are supported, not {inner:?}"
            ))
        })?;
        match labels.iter().find(|(name, _)| *name == label) {
            Some((_, value)) if urlquery => out.push_str(&query_escape(value)),
            Some((_, value)) => out.push_str(value),
            None if missing == Missing::Empty => {}
            None => {
                return Err(GenerateError::Definition(format!(
                    "{alert}: an annotation prints $labels.{label}, which the expression does not keep"
                )));
            }
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Go's `url.QueryEscape`, which the template function `urlquery` applies: RFC 3986's
/// unreserved characters as they are, a space as `+`, every other byte as `%XX`.
fn query_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => escaped.push(char::from(byte)),
            b' ' => escaped.push('+'),
            _ => escaped.push_str(&format!("%{byte:02X}")),
        }
    }
    escaped
}

fn input(series: &[ExampleSeries]) -> Vec<InputSeries> {
    series
        .iter()
        .map(|series| InputSeries { series: series.selector.to_string(), values: series.values.clone() })
        .collect()
}

fn minutes(value: Duration) -> String {
    duration(value)
}

/// The same labels as the second exporter of an HA pair gives them: `None` when they carry
/// no `instance` (an aggregation that drops it gives one result for both exporters).
fn on_second_exporter(labels: &[(&'static str, String)]) -> Option<Vec<(&'static str, String)>> {
    labels.iter().any(|(label, _)| *label == "instance").then(|| {
        let moved = |(label, value): &(&'static str, String)| {
            (*label, if *label == "instance" { SECOND_EXPORTER_INSTANCE.to_owned() } else { value.clone() })
        };
        labels.iter().map(moved).collect()
    })
}

/// A recording rule's cases: its example, and the same upstream scraped by an HA pair, which
/// must record the same values (once per exporter where the rule keeps `instance`).
fn recording_cases(recording: &Recording) -> Vec<TestCase> {
    let case = |name: String, series: Vec<ExampleSeries>, expected: Vec<ExpSample>| TestCase {
        name,
        interval: minutes(STEP),
        input_series: input(&series),
        alert_rule_test: Vec::new(),
        promql_expr_test: vec![ExprTest {
            expr: recording.metric.name.to_owned(),
            eval_time: minutes(recording::EXAMPLE_AT),
            exp_samples: expected,
        }],
    };
    let expected = &recording.example.expected;
    let one = |sample: &super::promql::Selector, value: f64| ExpSample { labels: sample.to_string(), value };
    let pair = expected.iter().flat_map(|(sample, value)| {
        let second = sample.replaced("instance", SECOND_EXPORTER_INSTANCE);
        std::iter::once(one(sample, *value)).chain(second.map(|sample| one(&sample, *value)))
    });
    vec![
        case(
            format!("{} records its example", recording.metric.name),
            recording.example.input.clone(),
            expected.iter().map(|(sample, value)| one(sample, *value)).collect(),
        ),
        case(
            format!("{} records the same when an HA pair of exporters scrapes the example", recording.metric.name),
            ha_pair(&recording.example.input),
            pair.collect(),
        ),
    ]
}

pub fn test_file(recordings: &[Recording], groups: &[Group], options: &Options) -> Result<String, GenerateError> {
    let mut tests: Vec<TestCase> = recordings.iter().flat_map(recording_cases).collect();
    for alert in groups.iter().flat_map(|group| &group.alerts) {
        let quiet_until = healthy_checked_at(alert.example.holds_from, alert.for_);
        if alert.for_ < STEP || quiet_until > STEP * SERIES_MINUTES || alert.for_.as_secs() % 60 != 0 {
            return Err(GenerateError::Definition(format!(
                "{}: `for` must be whole minutes between 1m and {}m, not {}",
                alert.name,
                SERIES_MINUTES - 5,
                duration(alert.for_)
            )));
        }
        let rendered = annotations(alert, options);
        let expected = |labels: &[(&'static str, String)], missing| -> Result<ExpAlert, GenerateError> {
            let mut exp_labels: BTreeMap<&'static str, String> =
                labels.iter().map(|(label, value)| (*label, value.clone())).collect();
            exp_labels.insert("severity", alert.severity.as_str().to_owned());
            let text = |template: &str| render(template, alert.name, labels, missing);
            let exp_annotations = BTreeMap::from([
                ("summary", text(&rendered.summary)?),
                ("description", text(&rendered.description)?),
                ("runbook_url", text(&rendered.runbook_url)?),
                ("dashboard_url", text(&rendered.dashboard_url)?),
            ]);
            Ok(ExpAlert { exp_labels, exp_annotations })
        };
        let at = |time: Duration, expected: Vec<ExpAlert>| {
            vec![AlertTest { eval_time: minutes(time), alertname: alert.name, exp_alerts: expected }]
        };
        let case = |name: String, series: &[ExampleSeries], checks: Vec<AlertTest>, exprs: Vec<ExprTest>| TestCase {
            name,
            interval: minutes(STEP),
            input_series: input(series),
            alert_rule_test: checks,
            promql_expr_test: exprs,
        };
        let example = &alert.example;
        let fires_at = example.holds_from + alert.for_;
        let implied = example
            .implies
            .iter()
            .map(|implied| ExprTest {
                expr: implied.expr.clone(),
                eval_time: minutes(fires_at),
                exp_samples: vec![ExpSample { labels: implied.sample.to_string(), value: implied.value }],
            })
            .collect();
        tests.push(case(
            format!("{} fires once its condition has held for {}", alert.name, duration(alert.for_)),
            &example.firing,
            at(fires_at, vec![expected(&example.labels, Missing::Refuse)?]),
            implied,
        ));
        // An HA pair (two exporters, one config) sees the same pipeline: the alert fires
        // once per exporter, alike but for `instance`, which Alertmanager's `group_by` leaves
        // out, so the pair still makes one notification (tests/exporter/generate.rs).
        let mut pair = vec![expected(&example.labels, Missing::Refuse)?];
        if let Some(labels) = on_second_exporter(&example.labels) {
            pair.push(expected(&labels, Missing::Refuse)?);
        }
        tests.push(case(
            format!("{} fires once per exporter of an HA pair, and only once without `instance`", alert.name),
            &ha_pair(&example.firing),
            at(fires_at, pair),
            Vec::new(),
        ));
        tests.push(case(
            format!("{} is still pending one step before {}", alert.name, duration(alert.for_)),
            &example.firing,
            at(fires_at - STEP, Vec::new()),
            Vec::new(),
        ));
        tests.push(case(
            format!("{} does not fire on the healthy side of its threshold", alert.name),
            &example.healthy,
            at(quiet_until, Vec::new()),
            Vec::new(),
        ));
        for variant in &example.variants {
            let checks = match variant.fires {
                Some(holds_from) => {
                    let labels = variant.labels.as_ref().unwrap_or(&example.labels);
                    let fires_at = holds_from + alert.for_;
                    let mut checks = at(fires_at - STEP, Vec::new());
                    checks.extend(at(fires_at, vec![expected(labels, Missing::Empty)?]));
                    checks
                }
                None => at(quiet_until, Vec::new()),
            };
            let verb = if variant.fires.is_some() { "fires" } else { "does not fire" };
            tests.push(case(format!("{} {verb}: {}", alert.name, variant.what), &variant.series, checks, Vec::new()));
        }
    }
    let group_eval_order = std::iter::once(recording::GROUP).chain(groups.iter().map(|group| group.name)).collect();
    yaml(&TestFile { rule_files: vec![RULES_FILE], evaluation_interval: minutes(STEP), group_eval_order, tests })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlquery_escapes_a_label_as_prometheus_does() {
        let labels = [("connector", "what?q=1&x=2* #1 ünï/%".to_owned())];
        let text = render("var-connector={{ $labels.connector | urlquery }}", "A", &labels, Missing::Refuse).unwrap();
        // Go: url.QueryEscape("what?q=1&x=2* #1 ünï/%")
        assert_eq!(text, "var-connector=what%3Fq%3D1%26x%3D2%2A+%231+%C3%BCn%C3%AF%2F%25");
        assert_eq!(render("{{ $labels.connector }}", "A", &labels, Missing::Refuse).unwrap(), labels[0].1);
        assert!(render("{{ $labels.connector | html }}", "A", &labels, Missing::Refuse).is_err());
    }
}
