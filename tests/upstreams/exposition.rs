//! What the exporter serves against the real stack passes `promtool check metrics`.

use crate::common;
use std::time::Duration;

use common::Exporter;

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn real_exposition_is_promtool_clean() {
    let _room = common::room::enter(module_path!());
    let dsn = common::exporter_dsn();
    // SAFETY: set before the exporter starts; nothing else in this test binary reads it.
    unsafe { std::env::set_var("EXPOSITION_TEST_DSN", &dsn) };
    let exporter = Exporter::start(&[
        "--connect.url",
        &format!("stack={}", common::connect_url()),
        "--postgres.dsn",
        "stack=${EXPOSITION_TEST_DSN}",
        "--poll.interval",
        "1s",
    ]);
    let up = |e: &common::Exposition, source: &str| e.value("debezium_exporter_source_up", &[("source", source)]);
    let seen = exporter
        .wait_for("every source up", Duration::from_secs(60), |e| {
            up(e, "connect") == Some(1.0) && up(e, "postgres") == Some(1.0)
        })
        .await;

    if let Some(complaints) = common::promtool_complaints(&seen.0) {
        panic!("promtool check metrics:\n{complaints}\n{}", seen.0);
    }
    assert!(!seen.0.contains(&common::pg_password()), "the password must not reach /metrics");
}
