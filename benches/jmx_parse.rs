//! Parse + map cost of one poll of a worker that runs 500 Debezium connectors, for both
//! bridges. Payloads are the recorded fixtures' beans repeated under 500 names.
//! Run: `cargo bench --bench jmx_parse`.

use std::time::{Duration, Instant};

use debezium_exporter::join::{DebeziumConnector, Facts};
use debezium_exporter::snapshot::{Observation, Samples};
use debezium_exporter::sources::jmx::BridgeObservation;
use debezium_exporter::sources::{jmx_exporter, jolokia};
use serde_json::{Map, Value};

const CONNECTORS: usize = 500;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The recorded bulk answer with every pattern's beans copied for 500 connectors.
fn jolokia_body() -> Vec<u8> {
    let recorded: Vec<Value> = serde_json::from_str(&fixture("jolokia/bulk-running.json")).unwrap();
    let answers: Vec<Value> = recorded
        .into_iter()
        .map(|mut answer| {
            let Some(Value::Object(beans)) = answer.get("value").cloned() else { return answer };
            let mut scaled = Map::new();
            for (name, attributes) in beans {
                if !name.contains("inventory") {
                    scaled.insert(name, attributes);
                    continue;
                }
                for index in 0..CONNECTORS {
                    scaled.insert(name.replace("inventory", &format!("conn-{index}")), attributes.clone());
                }
            }
            answer["value"] = Value::Object(scaled);
            answer
        })
        .collect();
    serde_json::to_vec(&answers).unwrap()
}

/// The real jmx_exporter output with every connector-labelled line copied for 500 connectors.
fn jmx_exporter_text() -> String {
    let mut text = String::new();
    for line in fixture("jmx_exporter/jmx_exporter-0.17.2.debezium.prom").lines() {
        if line.contains("name=\"shop\"") || line.contains("connector=\"outbox-connector\"") {
            for index in 0..CONNECTORS {
                let renamed = line
                    .replace("name=\"shop\"", &format!("name=\"conn-{index}\""))
                    .replace("connector=\"outbox-connector\"", &format!("connector=\"conn-{index}\""));
                text.push_str(&renamed);
                text.push('\n');
            }
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

fn facts() -> Facts {
    let debezium_connectors = (0..CONNECTORS)
        .map(|index| DebeziumConnector {
            cluster: "dc1".into(),
            connector: format!("conn-{index}"),
            running: true,
            database: "inventory".into(),
            slot: format!("slot_{index}"),
            topic_prefix: format!("conn-{index}"),
        })
        .collect();
    Facts { debezium_connectors, ..Facts::default() }
}

fn measure(what: &str, bytes: usize, mut run: impl FnMut() -> usize) {
    let series = run();
    let iterations = 20;
    let started = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(run());
    }
    let each: Duration = started.elapsed() / iterations;
    println!("{what}: {} KiB in, {series} series out, {each:.2?} per poll (mean of {iterations})", bytes / 1024);
}

fn main() {
    let facts = facts();
    let body = jolokia_body();
    measure("jolokia, 500 connectors", body.len(), || {
        let reading = jolokia::parse(&body).unwrap();
        let mut out = Samples::default();
        BridgeObservation { reading, connect_cluster: None }.render("w1", &facts, &mut out);
        debezium_exporter::catalog::all().map(|metric| out.get(metric).len()).sum()
    });
    let text = jmx_exporter_text();
    measure("jmx_exporter, 500 connectors", text.len(), || {
        let reading = jmx_exporter::parse(&text).unwrap();
        let mut out = Samples::default();
        BridgeObservation { reading, connect_cluster: None }.render("w1", &facts, &mut out);
        debezium_exporter::catalog::all().map(|metric| out.get(metric).len()).sum()
    });
}
