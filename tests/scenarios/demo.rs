//! `scripts/demo` driven the way a user's script would (README, docs/demo.md): start it in the
//! background, wait for its ready file, cause `task-failed`, poll Alertmanager's API until the
//! alert is there, read the webhook's notification line, run the `check` command the demo
//! printed, recover, see the resolved notification, stop the demo.
//!
//! The demo runs on the shared stack with names of its own: connector `demo-<pid>` on a
//! publication of its own (`PG_PUBLICATION`, which `scripts/stack-up` creates), its exporter,
//! Prometheus and Alertmanager on free ports, its files in a temporary `DEMO_RUN`, and the
//! exporter this test binary was built with (`DEMO_EXPORTER`: no nested cargo build). A guard
//! stops the demo and deletes the connector, its slot and publication whether the test passes
//! or not.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::alerting::Alert;
use common::{free_port, try_psql_admin};

/// Start-up on a running stack: a new connector runs ≈ 11 s after its POST, then Prometheus
/// must see it stream through the exporter.
const START: Duration = Duration::from_secs(180);
/// From the incident to the notification with the demo's timings (task FAILED, 10 s `for:`,
/// 5 s `group_wait`), with room for a loaded machine.
const PAGE: Duration = Duration::from_secs(120);

struct Demo {
    run: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    child: Child,
    connector: String,
    publication: String,
}

impl Demo {
    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo")
    }

    fn start() -> Self {
        let run = tempfile::tempdir().unwrap();
        let id = std::process::id();
        let (connector, publication) = (format!("demo-{id}"), format!("demo_{id}_pub"));
        let env = vec![
            ("DEMO_RUN", run.path().display().to_string()),
            ("DEMO_LISTEN_ADDRESS", format!("127.0.0.1:{}", free_port())),
            ("DEMO_CONNECTOR", connector.clone()),
            ("DEMO_EXPORTER", env!("CARGO_BIN_EXE_debezium-exporter").to_owned()),
            ("DEMO_LANG", "en".to_owned()),
            ("PG_PUBLICATION", publication.clone()),
            ("PROMETHEUS_PORT", free_port().to_string()),
            ("ALERTMANAGER_PORT", free_port().to_string()),
        ];
        let output = std::fs::File::create(run.path().join("demo.out")).unwrap();
        let child = Command::new(Self::script())
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("scripts/demo starts");
        Demo { run, env, child, connector, publication }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.run.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    /// The demo's terminal and every log it keeps, for failure messages.
    fn logs(&self) -> String {
        ["demo.out", "stack.log", "exporter.log", "alertmanager.log", "prometheus.log"]
            .iter()
            .map(|name| format!("--- {name} ---\n{}", self.read(name)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `scripts/demo ARGS...` to its end: exit code and output.
    fn run(&self, args: &[&str]) -> (i32, String) {
        let output = Command::new(Self::script())
            .args(args)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .output()
            .expect("scripts/demo runs");
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.code().unwrap_or(-1), text)
    }

    /// Waits until `check` holds, for at most `within`, failing early if the demo exited.
    fn wait(&mut self, what: &str, within: Duration, check: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + within;
        while !check(self) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the demo exited ({status}) while waiting for {what}:\n{}", self.logs());
            }
            assert!(Instant::now() < deadline, "waited {within:?} for {what}:\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// A value of the ready file (`NAME=value` lines, the value maybe in double quotes).
    fn ready(&self, name: &str) -> String {
        let ready = self.read("ready");
        let value = ready.lines().find_map(|line| line.strip_prefix(&format!("{name}="))).unwrap_or_default();
        value.trim_matches('"').to_owned()
    }
}

impl Drop for Demo {
    /// Never panics (it also runs while a failed test unwinds): the project's own script
    /// deletes the connector and its slot.
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let connector = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/connector");
        let _ = Command::new(connector).args(["delete", &self.connector, "--drop-slot"]).status();
        let _ = try_psql_admin(&format!("DROP PUBLICATION IF EXISTS {}", self.publication));
    }
}

/// Alertmanager's alerts, as a script polling its API with curl would read them; none while
/// it does not answer.
fn alertmanager_alerts(url: &str) -> Vec<Alert> {
    let Ok(output) = Command::new("curl").args(["-fs", "-m", "5", &format!("{url}/api/v2/alerts")]).output() else {
        return Vec::new();
    };
    serde_json::from_slice::<Value>(&output.stdout)
        .ok()
        .and_then(|alerts| alerts.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(Alert)
        .collect()
}

#[test]
#[ignore = "needs the real stack (scripts/test)"]
fn a_script_runs_the_demo_causes_task_failed_and_sees_the_page() {
    let _room = common::room::enter(module_path!());
    let mut demo = Demo::start();
    demo.wait("the ready file", START, |demo| demo.file("ready").exists());
    let alertmanager = demo.ready("ALERTMANAGER_URL");
    let check = demo.ready("CHECK");
    assert!(!alertmanager.is_empty() && !check.is_empty(), "ready file:\n{}", demo.read("ready"));
    let started = demo.read("demo.out");
    assert!(started.contains("SHORTENED"), "the demo says its timings are shortened:\n{started}");
    assert!(started.contains(&check), "the demo prints the check command:\n{started}");

    let (code, said) = demo.run(&["incident", "task-failed"]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("DebeziumTaskFailed"), "the incident names the alert to expect:\n{said}");

    let connector = demo.connector.clone();
    let this_alert = |alert: &Alert| alert.name() == "DebeziumTaskFailed" && alert.has(&[("connector", &connector)]);
    demo.wait("DebeziumTaskFailed in Alertmanager's API", PAGE, |_| {
        alertmanager_alerts(&alertmanager).iter().any(|alert| this_alert(alert) && alert.state() == "active")
    });
    let firing = format!("FIRING   DebeziumTaskFailed critical cluster=demo connector={connector} task=0");
    demo.wait("the FIRING notification", PAGE, |demo| demo.read("notifications.log").contains(&firing));
    let notification = demo.read("notifications.log");
    let line = notification.lines().find(|line| line.contains(&firing)).unwrap();
    assert!(line.contains(&format!("| Debezium task failed ({connector} task 0) |")), "{line}");
    assert!(line.ends_with("docs/runbook.md#alert-debeziumtaskfailed"), "{line}");
    assert!(demo.read("demo.out").contains(line), "the notification is printed on the demo's terminal too");

    // The one command the demo printed: `check` on the running demo names the failed task.
    let mut words = check.split_whitespace();
    let output = Command::new(words.next().unwrap()).args(words).output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "check: needs attention\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(&connector), "{report}");

    let (code, said) = demo.run(&["status"]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("firing   DebeziumTaskFailed"), "{said}");

    let (code, said) = demo.run(&["recover", "task-failed"]);
    assert_eq!(code, 0, "{said}");
    let resolved = format!("RESOLVED DebeziumTaskFailed critical cluster=demo connector={connector} task=0");
    demo.wait("the RESOLVED notification", PAGE, |demo| demo.read("notifications.log").contains(&resolved));

    let (code, said) = demo.run(&["stop"]);
    assert_eq!(code, 0, "{said}");
    // `stop` returns once the demo has exited.
    assert!(demo.child.try_wait().unwrap().is_some(), "the demo still runs after stop:\n{}", demo.logs());
    assert!(!demo.file("demo.pid").exists(), "the pid file goes with the demo");
    assert!(!demo.file("ready").exists(), "the ready file goes with the demo");
}
