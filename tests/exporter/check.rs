//! `debezium-exporter check` against real failures on the real stack.

use crate::common;
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
    // The trace names the missing publication: the finding links that cause's runbook section
    // and prints the statement that creates it before the restart.
    assert_eq!(failed["runbook"], "cause-publication_missing");
    let actions = failed["actions"].to_string();
    assert!(actions.contains(&format!(r#"CREATE PUBLICATION \"{publication}\" FOR TABLE"#)), "{actions}");
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

/// `snapshot.mode=initial_only`, which the runbook's scenario 2, step 4 offers as a way to
/// stream, snapshots and then stops streaming while Connect says RUNNING: `check` names the
/// setting and step 4 rather than sending the reader to the logs.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn check_names_a_connector_that_only_snapshots() {
    let (name, slot, table) = ("it-check-snapshot-only", "it_check_snapshot_only", "it_check_snapshot_only");
    let connect = Connect::new();
    connect.remove(name, slot).await;
    psql_admin(&format!(
        "DROP TABLE IF EXISTS public.{table}; CREATE TABLE public.{table} (id int PRIMARY KEY); \
         INSERT INTO public.{table} SELECT generate_series(1, 10); GRANT SELECT ON public.{table} TO debezium; \
         DROP PUBLICATION IF EXISTS {table}; CREATE PUBLICATION {table} FOR TABLE public.{table}"
    ));
    let mut config = outbox_connector(name, slot, table);
    let settings = config["config"].as_object_mut().unwrap();
    settings.retain(|key, _| !key.starts_with("transforms"));
    settings.insert("table.include.list".into(), format!("public.{table}").into());
    settings.insert("snapshot.mode".into(), "initial_only".into());
    connect.create(&config).await;

    let jolokia = format!("worker=http://127.0.0.1:{}/jolokia", common::env_or("JOLOKIA_PORT", "8778"));
    let args = ["--connect.url", &format!("stack={}", connect.url), "--jolokia.url", &jolokia];
    let subject = format!("connect stack / connector {name}");
    let only_snapshots = |report: &serde_json::Value| {
        finding(report, &subject).is_some_and(|found| found["problem"].as_str().unwrap().contains("initial_only"))
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let (code, report) = loop {
        let (code, report) = check(&args);
        if only_snapshots(&report) {
            break (code, report);
        }
        assert!(Instant::now() < deadline, "no snapshot-only finding for {name}: {report:#}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert_eq!(code, 1);
    let found = finding(&report, &subject).unwrap();
    assert_eq!(found["runbook"], "s2-step-4-streaming");
    assert!(found["actions"].to_string().contains(&format!("/connectors/{name}/config")), "{found:#}");

    connect.remove(name, slot).await;
    psql_admin(&format!("DROP PUBLICATION {table}; DROP TABLE public.{table}"));
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", common::kafka::bootstrap()).create().unwrap();
    let topic = format!("{name}.public.{table}");
    let _ = admin.delete_topics(&[topic.as_str()], &rdkafka::admin::AdminOptions::new()).await;
}

#[test]
fn check_without_sources_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_debezium-exporter")).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no sources configured"));
}

/// A Kafka Connect REST API that answers every request with `body`, as a cluster whose
/// connector names and traces someone hostile chose; returns its base URL.
fn fake_connect(body: String) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                &stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// A connector named to run a command when its restart line is pasted, with escapes in its
/// trace: `check` prints a restart command that passes the name as data, and no escape.
#[test]
fn a_hostile_connector_name_is_data_in_the_printed_command_and_the_terminal() {
    let name = "x'; touch /tmp/PWNED; echo '";
    let trace = "\u{1b}[31mboom\u{1b}[0m\r\u{9b}2J\nCaused by: gone";
    let body = serde_json::json!({ name: {
        "status": {"name": name, "type": "source",
                   "connector": {"state": "FAILED", "worker_id": "w:8083", "trace": trace}, "tasks": []},
        "info": {"name": name, "type": "source", "config": {"connector.class": "x"}, "tasks": []},
    }});
    let url = fake_connect(body.to_string());
    let output = Command::new(env!("CARGO_BIN_EXE_debezium-exporter"))
        .args(["check", "--connect.url", &url, "--log.level", "error"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    for escape in ["\u{1b}", "\r", "\u{9b}"] {
        assert!(!stdout.contains(escape), "{escape:?} reached the terminal: {stdout:?}");
    }
    let pasted = stdout.lines().find_map(|line| line.split_once("step 2): ")).map(|(_, command)| command);
    let pasted = pasted.unwrap_or_else(|| panic!("no restart command in {stdout}"));

    // Paste it into a shell whose only commands record how they were called.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for command in ["curl", "touch"] {
        let script = bin.join(command);
        std::fs::write(&script, "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" >> \"$CALLS\"\n").unwrap();
        let mut permissions = std::fs::metadata(&script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&script, permissions).unwrap();
    }
    let calls = dir.path().join("calls");
    let shell = Command::new("/bin/sh")
        .args(["-c", pasted])
        .env_clear()
        .env("PATH", &bin)
        .env("CALLS", &calls)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(shell.status.success(), "{}", String::from_utf8_lossy(&shell.stderr));
    let calls = std::fs::read_to_string(&calls).unwrap();
    let encoded = "x%27%3B%20touch%20%2Ftmp%2FPWNED%3B%20echo%20%27";
    let expected = format!(
        "{}\n-X\nPOST\n{url}/connectors/{encoded}/restart?includeTasks=true&onlyFailed=true\n",
        bin.join("curl").display()
    );
    assert_eq!(calls, expected, "the pasted line ran something else than one curl");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "only bin/ and calls are in the directory");
}
