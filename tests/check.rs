//! `debezium-exporter check` against real failures on the real stack.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Method;

use common::{Connect, outbox_connector, psql_admin};

fn check(args: &[&str]) -> (i32, serde_json::Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_debezium-exporter"))
        .arg("check")
        .args(args)
        .args(["--output", "json", "--log.level", "error"])
        .output()
        .expect("check runs");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stdout)));
    (output.status.code().unwrap(), report)
}

fn finding<'a>(report: &'a serde_json::Value, subject: &str) -> Option<&'a serde_json::Value> {
    report["findings"].as_array().unwrap().iter().find(|finding| finding["subject"] == subject)
}

/// A FAILED task and an abandoned slot: `check` exits 1, names both, prints the trace, the
/// restart command and the warning of runbook step 3c.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn check_names_a_failed_task_and_an_abandoned_slot() {
    let (name, slot, publication, abandoned) = ("it-check", "it_check", "it_check_pub", "it_check_abandoned");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {publication}; CREATE PUBLICATION {publication} FOR TABLE public.outbox"
    ));
    psql_admin(&format!(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{abandoned}'; \
         SELECT pg_create_logical_replication_slot('{abandoned}', 'pgoutput')"
    ));
    connect.create(&outbox_connector(name, slot, publication)).await;
    psql_admin(&format!("DROP PUBLICATION {publication}"));

    let dsn = common::exporter_dsn();
    // SAFETY: set before any child starts; nothing else in this test binary reads it.
    unsafe { std::env::set_var("CHECK_TEST_DSN", &dsn) };
    let args = ["--connect.url", &format!("stack={}", connect.url), "--postgres.dsn", "db=${CHECK_TEST_DSN}"];
    let task = format!("connect stack / connector {name} / task 0");

    // The task fails once it is (re)started without its publication.
    let deadline = Instant::now() + Duration::from_secs(90);
    let report = loop {
        let _ = connect.call(Method::POST, &format!("{name}/restart?includeTasks=true&onlyFailed=true")).await;
        let (code, report) = check(&args);
        if finding(&report, &task).is_some() {
            assert_eq!(code, 1);
            break report;
        }
        assert!(Instant::now() < deadline, "no finding for {task}: {report:#}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let failed = finding(&report, &task).unwrap();
    assert_eq!(failed["severity"], "critical");
    assert!(failed["problem"].as_str().unwrap().contains("FAILED"), "{failed:#}");
    assert_eq!(failed["runbook"], "s1-step-2-restart");
    let actions = failed["actions"].to_string();
    assert!(actions.contains(&format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=true")), "{actions}");

    let slot_finding =
        finding(&report, &format!("postgres db / slot {abandoned}")).expect("the abandoned slot is reported");
    assert!(slot_finding["problem"].as_str().unwrap().contains("inactive"), "{slot_finding:#}");
    assert!(slot_finding["actions"].to_string().contains("step 3c"), "{slot_finding:#}");
    assert!(!report.to_string().contains(&common::pg_password()), "the report must not carry the password");

    psql_admin(&format!("CREATE PUBLICATION {publication} FOR TABLE public.outbox"));
    connect.remove(name, slot).await;
    psql_admin(&format!("DROP PUBLICATION {publication}; SELECT pg_drop_replication_slot('{abandoned}')"));
}

#[test]
fn check_without_sources_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_debezium-exporter")).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no sources configured"));
}
