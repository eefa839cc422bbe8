//! A real Prometheus and a real Alertmanager (Debian's `prometheus` and
//! `prometheus-alertmanager`) started for one test binary, loading the generated, committed
//! files under alerts/ unchanged: what our users run, with only the intervals shortened.
//!
//! Prometheus scrapes the exporter every 2 s (a 1 s timeout failed now and then on the shared
//! 2-core machine; one failed scrape marks every series stale and resets every pending alert)
//! and evaluates rules every second; alert `for:` durations stay as shipped, so tests wait for
//! `pending` where `firing` would be slow.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/alerts/debezium-exporter.rules.yml");
const ALERTMANAGER_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/alerts/alertmanager.yml");

/// The scrape job the generated rules expect (`DebeziumExporterAbsent` names it).
pub const JOB: &str = "debezium-exporter";

/// An alert as Prometheus's `/api/v1/alerts` or Alertmanager's `/api/v2/alerts` lists it.
#[derive(Debug, Clone)]
pub struct Alert(pub Value);

impl Alert {
    pub fn name(&self) -> &str {
        self.label("alertname").unwrap_or_default()
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        self.0["labels"][name].as_str()
    }

    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.0["annotations"][name].as_str()
    }

    /// Prometheus: `pending` or `firing`; Alertmanager: `active`, `suppressed` or `unprocessed`.
    pub fn state(&self) -> &str {
        self.0["state"].as_str().or_else(|| self.0["status"]["state"].as_str()).unwrap_or_default()
    }

    /// Whether every given label has the given value.
    pub fn has(&self, labels: &[(&str, &str)]) -> bool {
        labels.iter().all(|(name, value)| self.label(name) == Some(value))
    }
}

/// A running server whose log is kept for failure messages.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn spawn(program: &Path, args: &[String], log: PathBuf) -> Self {
        let child = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()));
        Server { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Alerting {
    pub prometheus: String,
    pub alertmanager: String,
    client: reqwest::Client,
    // Dropped in field order: both servers stop before their storage directory goes.
    prometheus_server: Server,
    alertmanager_server: Server,
    _dir: tempfile::TempDir,
}

impl Alerting {
    /// Starts Alertmanager, then Prometheus scraping the exporter at `exporter` (`host:port`)
    /// and sending alerts to that Alertmanager; returns once both answer `/-/ready`.
    pub async fn start(exporter: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (prometheus_port, alertmanager_port) = (free_port(), free_port());
        let alertmanager_server = Server::spawn(
            &tool("ALERTMANAGER", &["prometheus-alertmanager", "alertmanager"], "prometheus-alertmanager"),
            &[
                format!("--config.file={ALERTMANAGER_CONFIG}"),
                format!("--storage.path={}", mkdir(dir.path(), "alertmanager").display()),
                format!("--web.listen-address=127.0.0.1:{alertmanager_port}"),
                "--cluster.listen-address=".to_owned(),
            ],
            dir.path().join("alertmanager.log"),
        );
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, prometheus_config(exporter, alertmanager_port)).unwrap();
        let prometheus_server = Server::spawn(
            &tool("PROMETHEUS", &["prometheus"], "prometheus"),
            &[
                format!("--config.file={}", config.display()),
                format!("--storage.tsdb.path={}", mkdir(dir.path(), "prometheus").display()),
                format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
            ],
            dir.path().join("prometheus.log"),
        );
        let alerting = Alerting {
            prometheus: format!("http://127.0.0.1:{prometheus_port}"),
            alertmanager: format!("http://127.0.0.1:{alertmanager_port}"),
            client: reqwest::Client::new(),
            prometheus_server,
            alertmanager_server,
            _dir: dir,
        };
        alerting.wait_ready(&alerting.alertmanager, "alertmanager").await;
        alerting.wait_ready(&alerting.prometheus, "prometheus").await;
        alerting
    }

    async fn wait_ready(&self, base: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.client.get(format!("{base}/-/ready")).send().await;
            if ready.is_ok_and(|response| response.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "{what} not ready after 30 s:\n{}", self.logs());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Both servers' logs, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "--- prometheus ---\n{}\n--- alertmanager ---\n{}",
            self.prometheus_server.log(),
            self.alertmanager_server.log()
        )
    }

    async fn get_json(&self, url: String) -> Value {
        let response = self.client.get(&url).timeout(Duration::from_secs(10)).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "GET {url}: {status} {body}");
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("GET {url}: {error}: {body}"))
    }

    /// Prometheus's active alerts: every alert rule instance `pending` or `firing` right now.
    pub async fn prometheus_alerts(&self) -> Vec<Alert> {
        let body = self.get_json(format!("{}/api/v1/alerts", self.prometheus)).await;
        body["data"]["alerts"].as_array().expect("data.alerts").iter().cloned().map(Alert).collect()
    }

    /// The alerts Alertmanager holds (active, suppressed or unprocessed).
    pub async fn alertmanager_alerts(&self) -> Vec<Alert> {
        let body = self.get_json(format!("{}/api/v2/alerts", self.alertmanager)).await;
        body.as_array().expect("an array of alerts").iter().cloned().map(Alert).collect()
    }

    /// An instant query: each result's labels and value.
    pub async fn query(&self, expr: &str) -> Vec<(Value, f64)> {
        let response = self
            .client
            .get(format!("{}/api/v1/query", self.prometheus))
            .query(&[("query", expr)])
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "success", "{expr}: {body}");
        body["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|sample| (sample["metric"].clone(), sample["value"][1].as_str().unwrap().parse().unwrap()))
            .collect()
    }

    /// Prints what Prometheus holds for a range selector, for failure messages.
    pub async fn print_history(&self, selector: &str) {
        let url = format!("{}/api/v1/query", self.prometheus);
        let answer = self.client.get(&url).query(&[("query", selector)]).send().await;
        match answer {
            Ok(response) => eprintln!("{selector}: {}", response.text().await.unwrap_or_default()),
            Err(error) => eprintln!("{selector}: {error}"),
        }
    }

    /// Polls Prometheus's alerts until `check` holds, for at most `within`; returns them.
    pub async fn wait_for_prometheus(
        &self,
        what: &str,
        within: Duration,
        check: impl Fn(&[Alert]) -> bool,
    ) -> Vec<Alert> {
        poll_until(&format!("{what} in Prometheus"), within, || self.prometheus_alerts(), |alerts| check(alerts)).await
    }

    /// Polls Alertmanager's alerts until `check` holds, for at most `within`; returns them.
    pub async fn wait_for_alertmanager(
        &self,
        what: &str,
        within: Duration,
        check: impl Fn(&[Alert]) -> bool,
    ) -> Vec<Alert> {
        poll_until(&format!("{what} in Alertmanager"), within, || self.alertmanager_alerts(), |alerts| check(alerts))
            .await
    }

    /// Polls an instant query until `check` holds on its result, for at most `within`.
    pub async fn wait_for_query(
        &self,
        expr: &str,
        within: Duration,
        check: impl Fn(&[(Value, f64)]) -> bool,
    ) -> Vec<(Value, f64)> {
        poll_until(&format!("`{expr}`"), within, || self.query(expr), |result| check(result)).await
    }
}

/// Fetches every 500 ms until `check` holds on what came back, for at most `within`; panics
/// with the last answer otherwise.
async fn poll_until<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    within: Duration,
    fetch: impl Fn() -> F,
    check: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let answer = fetch().await;
        if check(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}; last answer: {answer:#?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A binary from the PATH (or the env variable naming it); panics with what to install, so a
/// missing tool fails the test instead of skipping it.
pub fn tool(variable: &str, names: &[&str], package: &str) -> PathBuf {
    if let Ok(path) = std::env::var(variable) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{names:?} not found on PATH (apt-get install {package}, or set {variable})"))
}

fn mkdir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir(&dir).unwrap();
    dir
}

fn prometheus_config(exporter: &str, alertmanager_port: u16) -> String {
    format!(
        "global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 1s
rule_files:
  - {RULES}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{alertmanager_port}']
scrape_configs:
  - job_name: {JOB}
    static_configs:
      - targets: ['{exporter}']
"
    )
}
