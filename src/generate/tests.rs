//! Checks across the generated files: every expression names only known metrics, annotations
//! print only labels their expression keeps, panels and alerts point at each other, and the
//! output is deterministic.

use std::collections::HashSet;

use super::*;
use crate::catalog;

/// A catalog metric or one Prometheus makes itself: what a recording rule may read.
fn scraped_or_builtin(name: &str) -> bool {
    catalog::find(name).is_some() || promql::PROMETHEUS_BUILTINS.iter().any(|metric| metric.name == name)
}

/// What an alert or a panel may read: also the series the recording rules produce.
fn known(name: &str) -> bool {
    scraped_or_builtin(name)
        || recording::recordings(&Settings::default()).iter().any(|recording| recording.metric.name == name)
}

/// Every expression of every rule, implied check, panel and variable.
fn expressions(settings: &Settings) -> Vec<String> {
    let alerts = rules::alerts(settings);
    let mut exprs: Vec<String> = alerts.iter().map(|alert| alert.expr.clone()).collect();
    exprs.extend(alerts.iter().flat_map(|alert| alert.example.implies.iter().map(|implied| implied.expr.clone())));
    for row in dashboard::rows(settings, &alerts) {
        exprs.extend(row.panels.iter().flat_map(|panel| panel.queries.iter().map(|query| query.expr.clone())));
    }
    exprs.extend(dashboard::variables().iter().map(|variable| variable.selector.to_string()));
    exprs
}

#[test]
fn rules_and_panels_only_use_metrics_the_catalog_has() {
    for expr in expressions(&Settings::default()) {
        let names = promql::metric_names(&expr);
        assert!(!names.is_empty(), "no metric found in {expr}");
        for name in names {
            assert!(known(&name), "`{name}` in `{expr}` is not in the catalog");
        }
    }
}

#[test]
fn recording_rules_read_only_scraped_metrics() {
    for recording in recording::recordings(&Settings::default()) {
        let names = promql::metric_names(&recording.expr);
        assert!(!names.is_empty(), "no metric found in {}", recording.expr);
        for name in names {
            assert!(scraped_or_builtin(&name), "{}: `{name}` is not a catalog metric", recording.metric.name);
        }
    }
}

#[test]
fn every_recorded_series_is_used_and_named_level_metric_operations() {
    let used: HashSet<String> =
        expressions(&Settings::default()).iter().flat_map(|expr| promql::metric_names(expr)).collect();
    let mut seen = HashSet::new();
    for recording in recording::recordings(&Settings::default()) {
        let name = recording.metric.name;
        assert!(seen.insert(name), "{name} is recorded twice");
        assert!(catalog::find(name).is_none(), "{name} collides with a catalog metric");
        assert!(used.contains(name), "{name} is recorded but no alert or panel reads it");
        let parts: Vec<&str> = name.split(':').collect();
        let [level, metric, operations] = parts[..] else { panic!("{name} is not level:metric:operations") };
        assert_eq!(level, recording.metric.labels.join("_"), "{name}: the level names the labels it keeps");
        assert!(!operations.is_empty(), "{name} names no operation");
        // The metric part names what it is computed from (a rate drops the counter's `_total`).
        let read = promql::metric_names(&recording.expr);
        assert!(
            read.iter().any(|source| metric.starts_with(source.trim_end_matches("_total"))),
            "{name}: `{metric}` does not name any of {read:?}"
        );
        for (sample, _) in &recording.example.expected {
            assert_eq!(sample.metric().name, name, "an example of {name} expects another series");
        }
    }
}

#[test]
fn generation_is_deterministic_in_both_languages() {
    for lang in [Lang::Ko, Lang::En] {
        let options = Options { lang, settings: Settings::default() };
        assert_eq!(files(&options).unwrap(), files(&options).unwrap());
    }
    let english = files(&Options { lang: Lang::En, settings: Settings::default() }).unwrap();
    assert!(
        english["alerts/debezium-exporter.rules.yml"].contains("Debezium connector failed ({{ $labels.connector }})")
    );
}

#[test]
fn annotations_only_print_labels_the_expression_keeps() {
    let settings = Settings::default();
    for alert in rules::alerts(&settings) {
        for text in [&alert.summary.ko, &alert.summary.en, &alert.description.ko, &alert.description.en] {
            prometheus::render_template(text, &alert).unwrap();
        }
        prometheus::render_template(&dashboard::panel_url(&settings, &alert), &alert).unwrap();
    }
}

#[test]
fn every_example_names_each_series_once() {
    for alert in rules::alerts(&Settings::default()) {
        let example = &alert.example;
        let sets = [&example.firing, &example.healthy].into_iter().chain(example.variants.iter().map(|v| &v.series));
        for series in sets {
            let mut seen = HashSet::new();
            for each in series {
                assert!(seen.insert(each.selector.to_string()), "{}: {} repeats", alert.name, each.selector);
            }
        }
    }
}

#[test]
fn a_label_the_expression_drops_is_refused() {
    let mut alert = rules::alerts(&Settings::default()).remove(0);
    alert.example.labels.retain(|(label, _)| *label != "connector");
    let error = prometheus::render_template(&alert.summary.ko, &alert).unwrap_err().to_string();
    assert!(error.contains("prints $labels.connector, which the expression does not keep"), "{error}");
}

#[test]
fn inhibition_labels_are_on_both_sides() {
    let alerts = rules::alerts(&Settings::default());
    let targets: Vec<_> = alerts.iter().filter(|alert| alert.muted_by_failed_connector).collect();
    assert!(!targets.is_empty());
    for source in rules::PIPELINE_FAILURES {
        let source = alerts.iter().find(|alert| alert.name == source).expect("the source alert exists");
        for alert in std::iter::once(source).chain(targets.iter().copied()) {
            for label in alertmanager::PIPELINE_LABELS {
                assert!(alert.example.label(label).is_some(), "{} does not keep `{label}`", alert.name);
            }
        }
    }
    let failed_connector = alerts.iter().find(|alert| alert.name == rules::CONNECTOR_FAILED).unwrap();
    assert!(!failed_connector.muted_by_failed_connector, "the failed connector must not mute itself");
    // One rule per source; a source does not list its own kind (two failed tasks of one
    // connector both notify).
    let config: serde_norway::Value =
        serde_norway::from_str(&alertmanager::config(&alerts, &Settings::default()).unwrap()).unwrap();
    let rules = config["inhibit_rules"].as_sequence().unwrap();
    assert_eq!(rules.len(), rules::PIPELINE_FAILURES.len());
    for rule in rules {
        let source = rule["source_matchers"][0].as_str().unwrap();
        let targets = rule["target_matchers"][0].as_str().unwrap();
        let targets: Vec<&str> = targets.trim_start_matches("alertname=~\"").trim_end_matches('"').split('|').collect();
        assert!(targets.iter().all(|target| source != format!("alertname=\"{target}\"")), "{source} mutes itself");
        assert!(targets.contains(&"DebeziumConnectorStuck"), "{source} does not mute DebeziumConnectorStuck");
    }
}

#[test]
fn panels_have_unique_ids_titles_and_units_and_every_alert_has_its_panel() {
    let settings = Settings::default();
    let alerts = rules::alerts(&settings);
    let mut ids = HashSet::new();
    for row in dashboard::rows(&settings, &alerts) {
        assert!(ids.insert(row.id), "row id {} repeats", row.id.0);
        for panel in row.panels {
            assert!(ids.insert(panel.id), "panel id {} repeats", panel.id.0);
            let texts = [&panel.title.ko, &panel.title.en, &panel.description.ko, &panel.description.en];
            assert!(
                texts.iter().all(|text| !text.is_empty()) && !panel.unit.is_empty(),
                "panel {} lacks a title or description in either language, or a unit",
                panel.id.0
            );
        }
    }
    for alert in &alerts {
        assert!(ids.contains(&alert.panel), "{}'s panel {} is not on the dashboard", alert.name, alert.panel.0);
    }
}

#[test]
fn dashboard_links_filter_only_by_variables_their_panel_filters_by() {
    let settings = Settings::default();
    for alert in rules::alerts(&settings) {
        let url = dashboard::panel_url(&settings, &alert);
        let filtered = dashboard::panel_variables(&settings, alert.panel);
        for variable in dashboard::variables() {
            let linked = url.contains(&format!("&var-{}=", variable.label));
            let expected = filtered.contains(&variable.label) && alert.example.label(variable.label).is_some();
            assert_eq!(linked, expected, "{}: var-{} in {url}", alert.name, variable.label);
        }
    }
    // A Kafka alert's `cluster` is the Kafka cluster; the `cluster` variable is Connect's.
    let kafka = rules::alerts(&settings).into_iter().find(|alert| alert.name == "KafkaConnectInternalTopicMissing");
    let kafka = kafka.unwrap();
    assert!(kafka.example.label("cluster").is_some());
    assert!(!dashboard::panel_url(&settings, &kafka).contains("var-cluster"));
    let failed = rules::alerts(&settings).into_iter().find(|alert| alert.name == rules::CONNECTOR_FAILED).unwrap();
    assert!(dashboard::panel_url(&settings, &failed).contains("&var-cluster={{ $labels.cluster | urlquery }}"));
}

/// Panel ids are what alerts' `dashboard_url` (`viewPanel=`) and people's bookmarks point
/// at: a panel keeps its id for good, and a new panel takes an unused one. Extend the list
/// when adding a panel; never renumber.
#[test]
fn panel_ids_are_stable() {
    const PINNED: &[(u32, &str)] = &[
        (1, "Connector states"),
        (2, "Task states"),
        (3, "Failed connectors"),
        (4, "Failed tasks"),
        (20, "Sources up"),
        (21, "Time since last successful poll"),
        (22, "Poll duration"),
        (23, "Poll errors by reason"),
        (30, "Slot lag"),
        (31, "Retained WAL"),
        (32, "WAL status"),
        (33, "Safe WAL size"),
        (34, "Slot consumers"),
        (35, "Orphaned slots"),
        (36, "WAL write rate"),
        (40, "Outbox rows"),
        (41, "Oldest outbox event age"),
        (50, "Streaming lag"),
        (51, "Events streamed"),
        (52, "Queue free capacity"),
        (53, "Failed records"),
        (54, "Streaming"),
        (55, "Database connection"),
        (60, "Snapshot state"),
        (61, "Snapshot tables"),
        (62, "Rows scanned"),
        (70, "Connect internal topics"),
        (71, "Internal topics compacted"),
        (72, "Consumer group lag"),
        (73, "Time since last published event"),
        (90, "Debezium alerts"),
    ];
    let mut panels: Vec<(u32, String)> = dashboard::rows(&Settings::default(), &[])
        .into_iter()
        .flat_map(|row| row.panels)
        .map(|panel| (panel.id.0, panel.title.en))
        .collect();
    panels.sort();
    let pinned: Vec<(u32, String)> = PINNED.iter().map(|(id, title)| (*id, (*title).to_owned())).collect();
    assert_eq!(panels, pinned, "a panel changed its id (links and bookmarks break) or is not pinned yet");
}

#[test]
fn threshold_lines_follow_the_alerts_settings() {
    let settings = Settings {
        slot_lag_threshold_bytes: 5 << 30,
        outbox_oldest_event_age: std::time::Duration::from_secs(7_200),
        streaming_lag_threshold: std::time::Duration::from_secs(600),
        ..Settings::default()
    };
    let alerts = rules::alerts(&settings);
    let panels: Vec<_> = dashboard::rows(&settings, &alerts).into_iter().flat_map(|row| row.panels).collect();
    for (alert, threshold) in [
        ("ReplicationSlotLagHigh", 5_368_709_120.0),
        ("OutboxOldestEventTooOld", 7_200.0),
        ("DebeziumStreamingLagHigh", 600_000.0),
    ] {
        let alert = alerts.iter().find(|each| each.name == alert).unwrap();
        assert!(alert.expr.contains(&format!("> {threshold}")), "{}: {}", alert.name, alert.expr);
        let panel = panels.iter().find(|panel| panel.id == alert.panel).unwrap();
        assert_eq!(panel.thresholds.last().map(|(_, value)| *value), Some(threshold), "{}", panel.title.en);
    }
}

#[test]
fn every_alert_links_to_its_own_runbook_section() {
    let files = files(&Options::default()).unwrap();
    let runbook = &files["docs/runbook.md"];
    for alert in rules::alerts(&Settings::default()) {
        assert_eq!(runbook.matches(&format!("<a id=\"{}\"></a>", alert.anchor())).count(), 1, "{}", alert.name);
        for step in alert.steps {
            assert!(runbook.contains(&format!("<a id=\"{}\"></a>", step.id())));
        }
    }
    assert!(
        files["alerts/debezium-exporter.rules.yml"]
            .contains("runbook_url: docs/runbook.md#alert-debeziumconnectorfailed")
    );
    // --runbook-url reaches the rules, the PrometheusRule and the promtool expectations.
    let base = "https://git.example/cdc/docs/runbook.md";
    let settings = Settings { runbook_url: base.to_owned(), ..Settings::default() };
    let files = super::files(&Options { lang: Lang::Ko, settings }).unwrap();
    let link = format!("runbook_url: {base}#alert-debeziumconnectorfailed");
    for file in [
        "alerts/debezium-exporter.rules.yml",
        "alerts/kubernetes/prometheusrule.yaml",
        "alerts/debezium-exporter.rules.test.yml",
    ] {
        assert!(files[file].contains(&link), "{file} lacks {link}");
    }
}
