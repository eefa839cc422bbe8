//! An HA pair: two exporters of the same config, both scraped. The promtool cases generated
//! beside the rules feed every recording rule and every alert the same series from two
//! `instance`s (`fixture::ha_pair`); here, that each rule and alert has such a case, and that
//! Alertmanager groups and inhibits on labels both exporters give alike, so the pair's alerts
//! make the notifications one exporter's make.

use crate::common;
use debezium_exporter::generate::{self, Options, Settings, recording, rules};
use serde_json::Value;

/// Labels Prometheus gives each scraped exporter its own value of.
const PER_EXPORTER: [&str; 4] = ["instance", "pod", "job", "endpoint"];

fn generated(path: &str) -> Value {
    serde_norway::from_str(&generate::files(&Options::default()).unwrap()[path]).unwrap()
}

#[test]
fn every_rule_and_alert_has_a_case_fed_by_two_exporters() {
    let _room = common::room::enter(module_path!());
    let tests = generated("alerts/debezium-exporter.rules.test.yml");
    let names: Vec<&str> =
        tests["tests"].as_array().unwrap().iter().map(|case| case["name"].as_str().unwrap()).collect();
    let settings = Settings::default();
    let subjects = recording::recordings(&settings)
        .iter()
        .map(|recording| recording.metric.name)
        .chain(rules::alerts(&settings).iter().map(|alert| alert.name))
        .collect::<Vec<_>>();
    for subject in subjects {
        let case = names.iter().find(|name| name.starts_with(&format!("{subject} ")) && name.contains("HA pair"));
        assert!(case.is_some(), "{subject} has no HA pair case");
    }
}

#[test]
fn alertmanager_groups_and_inhibits_on_labels_both_exporters_share() {
    let _room = common::room::enter(module_path!());
    let config = generated("alerts/alertmanager.yml");
    let group_by = config["route"]["group_by"].as_array().unwrap();
    let inhibit = config["inhibit_rules"].as_array().unwrap().iter().flat_map(|rule| rule["equal"].as_array().unwrap());
    for label in group_by.iter().chain(inhibit) {
        assert!(!PER_EXPORTER.contains(&label.as_str().unwrap()), "{label} differs between the exporters of a pair");
    }
}
