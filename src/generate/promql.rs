//! PromQL built from catalog constants, so an expression can only name metrics and labels
//! that the exporter emits (or that Prometheus itself makes, listed here).

use std::fmt;
use std::time::Duration;

use crate::catalog::{Kind, Metric};

/// Prometheus's own per-target scrape health; DebeziumExporterAbsent watches it.
pub const PROMETHEUS_UP: Metric = Metric {
    name: "up",
    help: "1 if Prometheus's last scrape of the target succeeded.",
    kind: Kind::Gauge,
    labels: &["job", "instance"],
    source: "prometheus",
};

/// The alerts Prometheus is evaluating, as a series; the dashboard's alerts panel reads it.
pub const PROMETHEUS_ALERTS: Metric = Metric {
    name: "ALERTS",
    help: "One series per pending or firing alert, with the alert's labels.",
    kind: Kind::Gauge,
    labels: &["alertname", "alertstate", "severity", "cluster", "connector"],
    source: "prometheus",
};

/// Series Prometheus makes itself; every other name in an expression must be in the catalog.
pub const PROMETHEUS_BUILTINS: &[&Metric] = &[&PROMETHEUS_UP, &PROMETHEUS_ALERTS];

/// A vector selector: `metric{label="value", label=~"regex"}`.
#[derive(Debug, Clone)]
pub struct Selector {
    metric: &'static Metric,
    matchers: Vec<(&'static str, &'static str, String)>,
}

impl Selector {
    pub fn of(metric: &'static Metric) -> Self {
        Selector { metric, matchers: Vec::new() }
    }

    /// `label="value"`.
    pub fn eq(self, label: &'static str, value: impl Into<String>) -> Self {
        self.matcher(label, "=", value.into())
    }

    /// `label!="value"`.
    pub fn ne(self, label: &'static str, value: impl Into<String>) -> Self {
        self.matcher(label, "!=", value.into())
    }

    /// `label=~"regex"`.
    pub fn re(self, label: &'static str, regex: impl Into<String>) -> Self {
        self.matcher(label, "=~", regex.into())
    }

    /// `label=~"$label"`: the dashboard variable of the same name.
    pub fn var(self, label: &'static str) -> Self {
        self.matcher(label, "=~", format!("${label}"))
    }

    pub fn metric(&self) -> &'static Metric {
        self.metric
    }

    /// The same selector with `label="value"` instead of the value it had; `None` when it has
    /// no `=` matcher on `label` (the HA cases move a scraped series to another `instance`).
    pub fn replaced(&self, label: &str, value: &str) -> Option<Self> {
        let mut replaced = self.clone();
        let matcher = replaced.matchers.iter_mut().find(|(name, op, _)| *name == label && *op == "=")?;
        matcher.2 = value.to_owned();
        Some(replaced)
    }

    /// Panics on a label the metric does not have: every definition is built by the unit tests,
    /// so a typo fails `cargo test` rather than producing a selector that never matches.
    /// `job` and `instance` are added by Prometheus to every scraped series.
    fn matcher(mut self, label: &'static str, op: &'static str, value: String) -> Self {
        let known = self.metric.labels.contains(&label) || label == "job" || label == "instance";
        assert!(known, "{} has no label `{label}`", self.metric.name);
        self.matchers.push((label, op, value));
        self
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.metric.name)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        let matchers: Vec<String> = self
            .matchers
            .iter()
            .map(|(label, op, value)| format!("{label}{op}\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        write!(f, "{{{}}}", matchers.join(", "))
    }
}

/// A duration the way Prometheus writes it: `90s`, `1m`, `1h30m`.
pub fn duration(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            text.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    text
}

/// Every metric name an expression mentions: identifiers that are neither functions, keywords,
/// label names (inside `{}` or a `by (...)` list), durations nor strings. The check that rules
/// and panels only use catalog metrics runs this over the rendered text, so it also catches
/// names written into an expression by hand.
pub fn metric_names(expr: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    const GROUPING: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = Vec::new();
    let mut index = 0;
    // Depth of `{`, `[` and of parenthesized label lists; names inside them are not metrics.
    let mut skip_until: Vec<char> = Vec::new();
    let mut after_grouping = false;
    while index < chars.len() {
        let c = chars[index];
        if c == '"' || c == '\'' || c == '`' {
            index += 1;
            while index < chars.len() && chars[index] != c {
                index += if chars[index] == '\\' { 2 } else { 1 };
            }
            index += 1;
            continue;
        }
        if !skip_until.is_empty() {
            match c {
                '{' => skip_until.push('}'),
                '(' => skip_until.push(')'),
                '[' => skip_until.push(']'),
                _ if Some(&c) == skip_until.last() => {
                    skip_until.pop();
                }
                _ => {}
            }
            index += 1;
            continue;
        }
        match c {
            '{' => skip_until.push('}'),
            '[' => skip_until.push(']'),
            '(' if after_grouping => skip_until.push(')'),
            _ => {}
        }
        if c == '(' || c == '{' || c == '[' {
            after_grouping = false;
            index += 1;
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            while index < chars.len() && (chars[index].is_ascii_alphanumeric() || chars[index] == '.') {
                index += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = index;
            while index < chars.len()
                && (chars[index].is_ascii_alphanumeric() || chars[index] == '_' || chars[index] == ':')
            {
                index += 1;
            }
            let word: String = chars[start..index].iter().collect();
            let next = chars[index..].iter().find(|c| !c.is_whitespace());
            if GROUPING.contains(&word.as_str()) {
                after_grouping = true;
            } else if next == Some(&'(') || KEYWORDS.contains(&word.as_str()) {
                // A function call or an operator keyword.
            } else {
                names.push(word);
            }
            continue;
        }
        index += 1;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    #[test]
    fn selectors_quote_and_escape_values() {
        let selector = Selector::of(&catalog::CONNECTOR_STATE).eq("state", "failed").re("connector", "a\"b|$x");
        assert_eq!(selector.to_string(), r#"kafka_connect_connector_state{state="failed", connector=~"a\"b|$x"}"#);
    }

    #[test]
    #[should_panic(expected = "kafka_connect_connector_state has no label `slot`")]
    fn selectors_refuse_labels_the_metric_lacks() {
        let _ = Selector::of(&catalog::CONNECTOR_STATE).eq("slot", "x");
    }

    #[test]
    fn durations_are_written_the_prometheus_way() {
        assert_eq!(duration(Duration::from_secs(60)), "1m");
        assert_eq!(duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(duration(Duration::from_secs(3_600)), "1h");
    }

    #[test]
    fn metric_names_skips_functions_keywords_labels_and_durations() {
        let expr = r#"max by (cluster, connector) (rate(a_total{state="x y"}[5m] offset 1h)) > 0.5 and on (cluster) b{c=~"d"} == 1 or absent(up{job="j"} == 1) unless c:recorded"#;
        assert_eq!(metric_names(expr), ["a_total", "b", "up", "c:recorded"]);
    }
}
