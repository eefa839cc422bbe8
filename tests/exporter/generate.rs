//! `debezium-exporter generate`: the committed files are what the code generates, they
//! validate against the Grafana and PrometheusRule schemas, and (with the real tools, see
//! scripts/test) promtool, amtool and a real Alertmanager accept them and behave as designed.

use crate::common;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::alerting::tool;
use debezium_exporter::generate::{self, Lang, Options, Settings, alertmanager, recording, rules};
use serde_json::{Value, json};

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Generates with the defaults into a fresh temporary directory.
fn generated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate::write(dir.path(), &Options::default()).unwrap();
    dir
}

fn read(dir: &Path, relative: &str) -> String {
    std::fs::read_to_string(dir.join(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

#[test]
fn committed_files_are_exactly_what_generate_writes() {
    let fresh = generated();
    let names = generate::files(&Options::default()).unwrap();
    for relative in names.keys() {
        let committed = std::fs::read_to_string(repository().join(relative)).unwrap_or_default();
        assert!(
            committed == read(fresh.path(), relative),
            "{relative} differs from what `debezium-exporter generate` writes: run it and commit the result"
        );
    }
}

fn schema(name: &str) -> Value {
    let path = repository().join("../shared/schemas").join(name);
    let path = if path.exists() { path } else { Path::new("/work/shared/schemas").join(name) };
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display())))
        .unwrap()
}

fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|error| format!("{} at {}", error, error.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not validate:\n{}", errors.join("\n"));
}

#[test]
fn dashboards_validate_against_the_grafana_schema_in_both_languages() {
    for (lang, failed_connectors) in [(Lang::Ko, "장애 커넥터"), (Lang::En, "Failed connectors")] {
        let fresh = tempfile::tempdir().unwrap();
        generate::write(fresh.path(), &Options { lang, settings: Settings::default() }).unwrap();
        dashboards_validate(fresh.path());
        let dashboard: Value = serde_json::from_str(&read(fresh.path(), "dashboards/debezium-cdc.json")).unwrap();
        let titles: Vec<&str> =
            dashboard["panels"].as_array().unwrap().iter().filter_map(|panel| panel["title"].as_str()).collect();
        assert!(titles.contains(&failed_connectors), "{lang:?}: {titles:?}");
    }
}

fn dashboards_validate(fresh: &Path) {
    let schema = schema("grafana-dashboard.jsonschema.json");
    let provisioned: Value = serde_json::from_str(&read(fresh, "dashboards/debezium-cdc.json")).unwrap();
    assert_valid(&schema, &provisioned, "dashboards/debezium-cdc.json");
    let mut import: Value = serde_json::from_str(&read(fresh, "dashboards/debezium-cdc.import.json")).unwrap();
    assert_eq!(import["__inputs"][0]["name"], "DS_PROMETHEUS");
    let object = import.as_object_mut().unwrap();
    object.remove("__inputs");
    object.remove("__requires");
    assert_valid(&schema, &import, "dashboards/debezium-cdc.import.json without __inputs/__requires");
    // The ConfigMap carries the provisioning variant for Grafana's sidecar.
    let configmap: Value = serde_norway::from_str(&read(fresh, "dashboards/kubernetes/configmap.yaml")).unwrap();
    assert_eq!(configmap["metadata"]["labels"]["grafana_dashboard"], "1");
    let embedded: Value = serde_json::from_str(configmap["data"]["debezium-cdc.json"].as_str().unwrap()).unwrap();
    assert_eq!(embedded, provisioned);
}

#[test]
fn prometheusrule_validates_and_carries_the_rules_and_release_label() {
    for lang in [Lang::Ko, Lang::En] {
        let fresh = tempfile::tempdir().unwrap();
        generate::write(fresh.path(), &Options { lang, settings: Settings::default() }).unwrap();
        let resource: Value =
            serde_norway::from_str(&read(fresh.path(), "alerts/kubernetes/prometheusrule.yaml")).unwrap();
        assert_valid(&schema("prometheusrule_v1.json"), &resource, "alerts/kubernetes/prometheusrule.yaml");
        assert_eq!(resource["metadata"]["labels"]["release"], Settings::default().release);
        let rule_file: Value =
            serde_norway::from_str(&read(fresh.path(), "alerts/debezium-exporter.rules.yml")).unwrap();
        assert_eq!(resource["spec"]["groups"], rule_file["groups"]);
        assert_eq!(resource["spec"]["groups"][0]["name"], recording::GROUP, "{lang:?}: recording rules come first");
    }
}

#[test]
fn every_alert_has_a_firing_and_a_not_firing_case() {
    let fresh = generated();
    let tests: Value = serde_norway::from_str(&read(fresh.path(), "alerts/debezium-exporter.rules.test.yml")).unwrap();
    // Per alert: the firing checks and the quiet checks, each with the input it ran on.
    let mut firing: BTreeMap<String, Vec<(Duration, &Value)>> = BTreeMap::new();
    let mut quiet: BTreeMap<String, Vec<(Duration, &Value)>> = BTreeMap::new();
    for case in tests["tests"].as_array().unwrap() {
        for check in case["alert_rule_test"].as_array().into_iter().flatten() {
            let name = check["alertname"].as_str().unwrap().to_owned();
            let at = humantime::parse_duration(check["eval_time"].as_str().unwrap()).unwrap();
            let side = if check["exp_alerts"].as_array().unwrap().is_empty() { &mut quiet } else { &mut firing };
            side.entry(name).or_default().push((at, &case["input_series"]));
        }
    }
    let step = Duration::from_secs(60);
    let mut summary = Vec::new();
    for alert in rules::alerts(&Settings::default()) {
        let fires = firing.get(alert.name).cloned().unwrap_or_default();
        let quiets = quiet.get(alert.name).cloned().unwrap_or_default();
        // The `for` boundary: on the same input, still quiet one step before it fires.
        let boundary =
            fires.iter().any(|(at, input)| quiets.iter().any(|(before, same)| *before + step == *at && same == input));
        // The threshold: quiet on an input of its own (the healthy side of the threshold).
        let healthy = quiets.iter().any(|(_, input)| fires.iter().all(|(_, firing_input)| firing_input != input));
        assert!(
            !fires.is_empty() && boundary && healthy,
            "{}: {} firing checks, {} quiet ones, `for` boundary checked: {boundary}, healthy input checked: {healthy}",
            alert.name,
            fires.len(),
            quiets.len()
        );
        summary.push(format!("{} {}/{}", alert.name, fires.len(), quiets.len()));
    }
    eprintln!("firing/not-firing checks: {}", summary.join(", "));
}

/// While Connect does not answer, the exporter keeps a slot's `connector` label this long and
/// the slot alerts keep its `cluster` as long: one without the other still restarts the `for:`.
#[test]
fn slot_alerts_keep_the_cluster_as_long_as_the_exporter_keeps_the_connector() {
    assert_eq!(rules::CONNECTOR_INFO_LOOKBACK, debezium_exporter::snapshot::LAST_KNOWN_FOR);
}

#[test]
fn every_recording_rule_is_in_the_rule_file_and_has_a_test_case() {
    let fresh = generated();
    let rule_file: Value = serde_norway::from_str(&read(fresh.path(), "alerts/debezium-exporter.rules.yml")).unwrap();
    let tests: Value = serde_norway::from_str(&read(fresh.path(), "alerts/debezium-exporter.rules.test.yml")).unwrap();
    // promtool evaluates groups in random order unless told; the recording group goes first.
    assert_eq!(rule_file["groups"][0]["name"], recording::GROUP);
    assert_eq!(tests["group_eval_order"][0], recording::GROUP);
    let recorded: Vec<&str> = rule_file["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["record"].as_str().expect("the recording group holds recording rules only"))
        .collect();
    let expected: Vec<&str> =
        recording::recordings(&Settings::default()).iter().map(|recording| recording.metric.name).collect();
    assert_eq!(recorded, expected);
    for name in recorded {
        let checked = tests["tests"].as_array().unwrap().iter().any(|case| {
            case["promql_expr_test"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|check| check["expr"] == name && !check["exp_samples"].as_array().is_none_or(Vec::is_empty))
        });
        assert!(checked, "no promtool test case checks what {name} records");
    }
}

// ---- The real tools (scripts/test installs them). Missing tools fail these tests. ----

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn promtool() -> PathBuf {
    tool("PROMTOOL", &["promtool"], "prometheus")
}

fn amtool() -> PathBuf {
    tool("AMTOOL", &["amtool"], "prometheus-alertmanager")
}

/// `--lint=all` exists since Prometheus 2.35 (the stack has 2.42); older promtools have no lint flag.
fn lint_flags() -> Vec<&'static str> {
    let help = Command::new(promtool()).args(["check", "rules", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    if help.contains("--lint") { vec!["--lint=all", "--lint-fatal"] } else { Vec::new() }
}

#[test]
#[ignore = "needs the real stack (scripts/test)"]
fn promtool_checks_and_tests_the_rules() {
    let fresh = generated();
    let alerts = fresh.path().join("alerts");
    run(Command::new(promtool())
        .args(["check", "rules"])
        .args(lint_flags())
        .arg("debezium-exporter.rules.yml")
        .current_dir(&alerts));
    let output =
        run(Command::new(promtool()).args(["test", "rules", "debezium-exporter.rules.test.yml"]).current_dir(&alerts));
    assert!(String::from_utf8_lossy(&output.stdout).contains("SUCCESS"));
}

#[test]
#[ignore = "needs the real stack (scripts/test)"]
fn every_panel_expression_parses() {
    let fresh = generated();
    let dashboard: Value = serde_json::from_str(&read(fresh.path(), "dashboards/debezium-cdc.json")).unwrap();
    let mut records = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            // Grafana substitutes its variables before Prometheus sees the query.
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "5m")
                .replace("$cluster", ".*")
                .replace("$connector", ".*");
            records.push(json!({ "record": format!("panel_{}_{}", panel["id"], target["refId"].as_str().unwrap()), "expr": expr }));
        }
    }
    assert!(records.len() >= 8, "only {} panel queries", records.len());
    let file = fresh.path().join("panels.rules.yml");
    let rules = json!({ "groups": [{ "name": "panels", "rules": records }] });
    std::fs::write(&file, serde_norway::to_string(&rules).unwrap()).unwrap();
    run(Command::new(promtool()).args(["check", "rules"]).arg(&file));
}

#[test]
#[ignore = "needs the real stack (scripts/test)"]
fn amtool_accepts_the_config_and_routes_each_severity_to_its_receiver() {
    let fresh = generated();
    let config = fresh.path().join("alerts/alertmanager.yml");
    run(Command::new(amtool()).arg("check-config").arg(&config));
    for severity in debezium_exporter::catalog::Severity::ALL {
        let receiver = alertmanager::receiver(Some(severity));
        let output = run(Command::new(amtool())
            .args(["config", "routes", "test"])
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--verify.receivers={receiver}"))
            .arg(format!("severity={}", severity.as_str())));
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), receiver);
    }
}

/// Kills the Alertmanager when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn alert_json(name: &str, severity: debezium_exporter::catalog::Severity, labels: &[(&str, String)]) -> Value {
    let mut all: serde_json::Map<String, Value> = labels.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    all.insert("alertname".to_owned(), json!(name));
    all.insert("severity".to_owned(), json!(severity.as_str()));
    json!({ "labels": all })
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_failed_connector_or_task_mutes_its_own_pipeline_only_in_a_real_alertmanager() {
    let binary = tool("ALERTMANAGER", &["prometheus-alertmanager", "alertmanager"], "prometheus-alertmanager");
    let fresh = generated();
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", fresh.path().join("alerts/alertmanager.yml").display()))
        .arg(format!("--storage.path={}", fresh.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start alertmanager");
    let _running = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client.get(format!("{base}/-/ready")).send().await.is_ok_and(|response| response.status().is_success()) {
        assert!(Instant::now() < deadline, "alertmanager on {base} never became ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Each alert as its rule's example fires, plus the muted ones on other pipelines.
    let alerts = rules::alerts(&Settings::default());
    // A failed connector's slot goes inactive and lags behind: symptoms, muted. A slot at risk
    // of being lost, or lost, changes the deadline and the recovery: never muted.
    let muted = alertmanager::muted(&alerts);
    for symptom in [
        "DebeziumTaskFailed",
        "DebeziumConnectorStuck",
        "DebeziumStreamingLagHigh",
        "DebeziumSourceDisconnected",
        "DebeziumQueueNearlyFull",
        "ReplicationSlotInactive",
        "ReplicationSlotLagHigh",
    ] {
        assert!(muted.contains(&symptom), "{symptom} is not muted by a failed connector");
    }
    for own_problem in ["ReplicationSlotWalAtRisk", "ReplicationSlotLost", "DebeziumFailedRecords"] {
        assert!(!muted.contains(&own_problem), "{own_problem} must not be muted by a failed connector");
    }
    let mut posted = Vec::new();
    let mut expected: BTreeMap<String, bool> = BTreeMap::new();
    let key = |alert: &Value| alert["labels"].to_string();
    let with = |alert: &rules::Alert, changes: &[(&str, &str)]| -> Vec<(&str, String)> {
        alert
            .example
            .labels
            .iter()
            .map(|(name, value)| {
                let changed = changes.iter().find(|(label, _)| label == name).map(|(_, other)| (*other).to_owned());
                (*name, changed.unwrap_or_else(|| value.clone()))
            })
            .collect()
    };
    for alert in &alerts {
        let own = alert_json(alert.name, alert.severity, &alert.example.labels);
        expected.insert(key(&own), alert.muted_by_failed_connector);
        posted.push(own);
        // The same symptoms on other pipelines, which have no failure of their own. (A failed
        // task there would be a failure of that pipeline, so it is left out.)
        if alert.muted_by_failed_connector && !rules::PIPELINE_FAILURES.contains(&alert.name) {
            for change in [("connector", "another-connector"), ("cluster", "another-cluster")] {
                let elsewhere = alert_json(alert.name, alert.severity, &with(alert, &[change]));
                expected.insert(key(&elsewhere), false);
                posted.push(elsewhere);
            }
        }
    }
    // A pipeline whose connector is RUNNING with two FAILED tasks (the usual Debezium failure):
    // the failed tasks mute its symptoms, but neither failed task mutes the other.
    let task_failed = alerts.iter().find(|alert| alert.name == rules::TASK_FAILED).unwrap();
    for task in ["0", "1"] {
        let failed = alert_json(
            task_failed.name,
            task_failed.severity,
            &with(task_failed, &[("connector", "tasks-failed-connector"), ("task", task)]),
        );
        expected.insert(key(&failed), false);
        posted.push(failed);
    }
    for alert in alerts.iter().filter(|alert| alert.muted_by_failed_connector && alert.name != rules::TASK_FAILED) {
        let symptom = alert_json(alert.name, alert.severity, &with(alert, &[("connector", "tasks-failed-connector")]));
        expected.insert(key(&symptom), true);
        posted.push(symptom);
    }
    let response = client.post(format!("{base}/api/v2/alerts")).json(&posted).send().await.unwrap();
    assert!(response.status().is_success(), "POST /api/v2/alerts: {}", response.status());

    let mut seen = BTreeMap::new();
    while Instant::now() < deadline {
        let listed: Vec<Value> =
            client.get(format!("{base}/api/v2/alerts")).send().await.unwrap().json().await.unwrap();
        seen = listed
            .iter()
            .map(|alert| (key(alert), !alert["status"]["inhibitedBy"].as_array().is_none_or(Vec::is_empty)))
            .collect();
        if seen == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen, expected, "inhibited (true) or not, by alert labels");
}
