//! The jmx_exporter source through the real binary, scraping the real jmx_exporter 0.17.2
//! output (tests/fixtures/jmx_exporter/) from a local HTTP server: no agent jar is available
//! from the registries, so the recorded answer stands in for the worker.

use crate::common;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use common::{Exporter, Exposition};

#[tokio::test]
async fn a_real_jmx_exporter_answer_is_scraped_and_mapped() {
    let _room = common::room::enter(module_path!());
    let body = include_str!("../fixtures/jmx_exporter/jmx_exporter-0.17.2.debezium.prom");
    let app = Router::new().route("/metrics", get(move || async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let nothing_listens = format!("http://127.0.0.1:{}/metrics", common::free_port());

    let exporter = Exporter::start(&[
        "--jmx-exporter.url",
        &format!("w1={url}"),
        "--jmx-exporter.url",
        &format!("gone={nothing_listens}"),
        "--poll.interval",
        "500ms",
    ]);
    let up = |e: &Exposition, target: &str| e.value("debezium_exporter_source_up", &[("target", target)]);
    let seen = exporter
        .wait_for("w1 up, gone down", Duration::from_secs(30), |e| {
            up(e, "w1") == Some(1.0) && up(e, "gone") == Some(0.0)
        })
        .await;
    let server_labels = [("server", "shop")];
    assert_eq!(seen.value("debezium_metrics_milli_seconds_behind_source", &server_labels), Some(284.0));
    assert_eq!(seen.value("debezium_metrics_connected", &server_labels), Some(1.0));
    let task = [("connector", "outbox-connector"), ("task", "0")];
    assert_eq!(seen.value("debezium_metrics_number_of_failed_records", &task), Some(0.0));
    assert_eq!(seen.value("kafka_connect_source_task_source_record_write_total", &task), Some(1.0));
    assert!(seen.series("kafka_connect_worker_connector_startup_failure_total", &[("worker", "gone")]).is_empty());
    assert!(!seen.0.contains("jvm_"), "JVM metrics are not ours to re-export");
    server.abort();
}
