//! Shared helpers for the tests that run against the real stack (`scripts/test` starts it).
//!
//! Ports and credentials come from the environment `scripts/stack-env` exports, with the same
//! defaults, so the tests also run from a shell where the stack is already up.
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod alerting;
pub mod fault_proxy;
pub mod fault_server;
pub mod kafka;
pub mod local_postgres;
pub mod room;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PASSWORD_DEFAULT: &str = "dbz-secret-pw";

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

pub fn connect_url() -> String {
    format!("http://127.0.0.1:{}", env_or("CONNECT_PORT", "8083"))
}

pub fn pg_password() -> String {
    env_or("PG_PASSWORD", PASSWORD_DEFAULT)
}

/// The exporter's key/value DSN for the stack's database, password included: pass it to the
/// exporter through an environment variable (`NAME=${VAR}`), never on the command line.
pub fn exporter_dsn() -> String {
    format!(
        "host=127.0.0.1 port={} dbname={} user={} password={}",
        env_or("PG_PORT", "5432"),
        env_or("PG_DATABASE", "inventory"),
        env_or("PG_USER", "debezium"),
        pg_password()
    )
}

/// Runs SQL as the superuser over the stack's unix socket; panics with psql's error.
pub fn psql_admin(sql: &str) -> String {
    try_psql_admin(sql).unwrap_or_else(|error| panic!("psql {sql}: {error}"))
}

/// Runs SQL as the superuser over the stack's unix socket; psql's error on failure.
pub fn try_psql_admin(sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1"])
        .args(["-h", &env_or("PG_SOCKET_DIR", "/tmp/debezium-exporter-stack/pg/socket")])
        .args(["-p", &env_or("PG_PORT", "5432")])
        .args(["-U", &env_or("PG_SUPERUSER", "postgres")])
        .args(["-d", &env_or("PG_DATABASE", "inventory")])
        .args(["-c", sql])
        .output()
        .expect("psql runs");
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The connector, slot and publication one test creates on the shared stack: `{area}-{role}-{pid}`
/// (with `_` for PostgreSQL), unique to this run so a concurrent run or a leftover cannot collide.
pub struct PipelineNames {
    pub connector: String,
    pub slot: String,
    pub publication: String,
}

impl PipelineNames {
    pub fn named(area: &str, role: &str) -> Self {
        let id = std::process::id();
        PipelineNames {
            connector: format!("{area}-{role}-{id}"),
            slot: format!("{area}_{role}_{id}"),
            publication: format!("{area}_{role}_{id}_pub"),
        }
    }
}

/// The outbox connector config of `scripts/connectors/outbox-connector.json`, filled in.
pub fn outbox_connector(name: &str, slot: &str, publication: &str) -> serde_json::Value {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/connectors/outbox-connector.json"))
            .expect("connector template");
    let text = template
        .replace("{{NAME}}", name)
        .replace("{{SLOT}}", slot)
        .replace("{{PUBLICATION}}", publication)
        .replace("{{PG_PORT}}", &env_or("PG_PORT", "5432"))
        .replace("{{PG_USER}}", &env_or("PG_USER", "debezium"))
        .replace("{{PG_PASSWORD}}", &pg_password())
        .replace("{{PG_DATABASE}}", &env_or("PG_DATABASE", "inventory"));
    serde_json::from_str(&text).expect("the template is JSON")
}

/// A Kafka Connect REST client for test set-up.
pub struct Connect {
    pub url: String,
    client: reqwest::Client,
}

impl Connect {
    pub fn new() -> Self {
        Connect { url: connect_url(), client: reqwest::Client::new() }
    }

    /// Creates the connector; an existing one is fine. A 409 during a rebalance is retried.
    pub async fn create(&self, config: &serde_json::Value) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let response = self.client.post(format!("{}/connectors", self.url)).json(config).send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            if status.is_success() || (status.as_u16() == 409 && body.contains("already exists")) {
                return;
            }
            assert!(status.as_u16() == 409 && Instant::now() < deadline, "POST /connectors: {status} {body}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits until every name is listed with a status: in distributed mode a created
    /// connector reaches the listing only after the workers have read the config topic back.
    pub async fn wait_listed(&self, names: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let listed: serde_json::Value = self
                .client
                .get(format!("{}/connectors?expand=status", self.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if names.iter().all(|name| listed[*name]["status"]["connector"]["state"].is_string()) {
                return;
            }
            assert!(Instant::now() < deadline, "{names:?} not all listed: {listed}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// PUT/POST/DELETE on `/connectors/{path}`, retried while Connect is rebalancing (409).
    pub async fn call(&self, method: reqwest::Method, path: &str) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let response = self
                .client
                .request(method.clone(), format!("{}/connectors/{path}", self.url))
                .timeout(Duration::from_secs(70))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            if status != 409 || Instant::now() > deadline {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Deletes the connector (absent is fine) and drops its slot once it is released.
    pub async fn remove(&self, name: &str, slot: &str) {
        let status = self.call(reqwest::Method::DELETE, name).await;
        assert!(matches!(status, 204 | 404), "DELETE {name}: {status}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let active = psql_admin(&format!("SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'"));
            match active.trim() {
                "" => return,
                // The stopping task may still hold it for a moment: then it is active again.
                "f" => match try_psql_admin(&format!("SELECT pg_drop_replication_slot('{slot}')")) {
                    Ok(_) => return,
                    Err(error) if error.contains("is active") => tokio::time::sleep(Duration::from_millis(500)).await,
                    Err(error) => panic!("dropping slot {slot}: {error}"),
                },
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        panic!("slot {slot} still active a minute after its connector was deleted");
    }
}

/// A free port on 127.0.0.1 (the OS picks; we release it for the child to bind).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs the exporter with `args` (listening on a port of its own choosing, should it get that
/// far) and expects it to refuse them as a usage error: exit code 2 with one line on stderr,
/// which is returned. A process still running after a minute failed to refuse: it is killed.
pub fn refused(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_debezium-exporter"))
        .args(args)
        .args(["--web.listen-address", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the exporter starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} were not refused: the exporter was still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line expected, got {stderr}");
    stderr
}

/// The real exporter binary, started with the given flags on a free port.
pub struct Exporter {
    child: Child,
    pub base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Exporter {
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// Like `start`, with these variables in the exporter's environment (a DSN with its
    /// password goes there, never on the command line).
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("exporter.log");
        let child = Command::new(env!("CARGO_BIN_EXE_debezium-exporter"))
            .args(args)
            .args(["--web.listen-address", &format!("127.0.0.1:{port}"), "--log.level", "debug"])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the exporter starts");
        let exporter = Exporter { child, base: format!("http://127.0.0.1:{port}"), log, _dir: dir };
        exporter.wait_until_listening();
        exporter
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(self.base.trim_start_matches("http://")).is_err() {
            assert!(Instant::now() < deadline, "the exporter did not listen: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The exporter's process id, to read its /proc entry.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = match reqwest::get(format!("{}{path}", self.base)).await {
            Ok(response) => response,
            Err(error) => panic!("GET {path}: {error}; the exporter's log:\n{}", self.log()),
        };
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, 200, "/metrics must always answer 200");
        body
    }

    /// Scrapes until `check` holds, for at most `within`; returns the scrape that satisfied it.
    pub async fn wait_for(&self, what: &str, within: Duration, check: impl Fn(&Exposition) -> bool) -> Exposition {
        let deadline = Instant::now() + within;
        loop {
            let exposition = Exposition(self.metrics().await);
            if check(&exposition) {
                return exposition;
            }
            assert!(Instant::now() < deadline, "waited {within:?} for {what}; last scrape:\n{}", exposition.0);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub fn log(&self) -> String {
        let mut text = String::new();
        std::fs::File::open(&self.log).unwrap().read_to_string(&mut text).unwrap();
        text
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scrape, with lookups by metric name and label subset.
pub struct Exposition(pub String);

impl Exposition {
    /// The value of the one series of `name` whose labels include all of `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.series(name, labels).first().map(|(_, value)| *value)
    }

    /// Every series of `name` whose labels include all of `labels`: (label text, value).
    pub fn series(&self, name: &str, labels: &[(&str, &str)]) -> Vec<(String, f64)> {
        self.0
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let rest = series.strip_prefix(name)?;
                let label_text = match rest.strip_prefix('{') {
                    Some(inner) => inner.strip_suffix('}')?,
                    None if rest.is_empty() => "",
                    None => return None,
                };
                let wanted = labels
                    .iter()
                    .all(|(key, value)| label_text.split(',').any(|pair| pair == format!("{key}=\"{value}\"")));
                if !wanted {
                    return None;
                }
                Some((label_text.to_owned(), value.parse().ok()?))
            })
            .collect()
    }
}

/// What `promtool check metrics` says of an exposition; `None` when it is clean.
pub fn promtool_complaints(exposition: &str) -> Option<String> {
    let mut promtool = Command::new(env_or("PROMTOOL", "promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (scripts/stack-install)");
    // A broken pipe means promtool stopped reading at a line it could not parse: its output says which.
    let _ = promtool.stdin.take().unwrap().write_all(exposition.as_bytes());
    let output = promtool.wait_with_output().unwrap();
    let complaints = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (!output.status.success() || !complaints.trim().is_empty()).then_some(complaints)
}

/// Runs `debezium-exporter check --config.file CONFIG` once; returns its exit code and its
/// standard output.
pub fn run_check(config: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_debezium-exporter"))
        .args(["check", "--config.file", config.to_str().unwrap(), "--log.level", "error"])
        .args(extra)
        .output()
        .expect("check runs");
    (output.status.code().expect("check exits"), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The connector's and task 0's states as the Connect REST API at `connect_url` reports them
/// (`absent` for what it does not list).
pub async fn connector_states(connect_url: &str, connector: &str) -> (String, String) {
    let status: serde_json::Value =
        reqwest::get(format!("{connect_url}/connectors/{connector}/status")).await.unwrap().json().await.unwrap();
    let state = |value: &serde_json::Value| value.as_str().unwrap_or("absent").to_owned();
    (state(&status["connector"]["state"]), state(&status["tasks"][0]["state"]))
}
