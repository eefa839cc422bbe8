//! The fault matrix: each way an upstream can fail, in front of each kind of upstream, with the
//! real exporter binary polling two targets of that kind, one faulty and one healthy.
//!
//! HTTP upstreams sit behind [`FaultServer`] (the tests' own), PostgreSQL behind [`FaultProxy`]
//! (TCP level). Each case switches a fault on and checks that `/metrics` answers 200 to every
//! scrape, that the faulty target goes `up 0` with the right `reason`, that the healthy target
//! stays up and that the process lives with bounded memory; then it switches the fault off and
//! checks the target is up again by its second poll, counted by its error counter. A case that
//! fails is reported and the others still run; docs/faults.md has the table.

use crate::common;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::fault_proxy::{self, FaultProxy};
use common::fault_server::{FaultServer, Mode, Upstream};
use common::{Exporter, Exposition, env_or};

/// A body limit well under the default, so the oversize cases hit it within the poll timeout
/// on a loaded machine too: a debug build reading 64 MiB of chunks can take longer than 2 s.
const POLL: [&str; 6] = ["--poll.interval", "1s", "--poll.timeout", "2s", "--poll.body-size-limit", "4MiB"];
/// A scrape slower than this is a failure whatever else it shows.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a case waits for what it expects before it gives up.
const PATIENCE: Duration = Duration::from_secs(30);
/// The exporter's peak resident memory may not pass this, oversize bodies included.
const MEMORY_BOUND_KB: u64 = 200 * 1024;

const FAULTY: &str = "faulty";
const HEALTHY: &str = "healthy";

/// The HTTP faults and the reason each gives today (src/http.rs), for all three HTTP upstreams.
const HTTP_FAULTS: [(Mode, &str); 15] = [
    (Mode::Refuse, "connect"),
    (Mode::CloseAtAccept, "connect"),
    (Mode::Hang, "timeout"),
    (Mode::Freeze, "timeout"),
    (Mode::Reset, "connect"),
    (Mode::Status500, "http_status"),
    (Mode::Garbage, "decode"),
    (Mode::WrongShape, "decode"),
    (Mode::OversizeFast, "too_large"),
    (Mode::OversizeChunked, "too_large"),
    // The declared Content-Length is over the limit: refused before the body is read.
    (Mode::OversizeSlow, "too_large"),
    (Mode::TrickleHead, "timeout"),
    (Mode::TrickleBody, "timeout"),
    // reqwest reports a body cut short as a body error, which src/http.rs counts as decode.
    (Mode::DieMidBody, "decode"),
    (Mode::TlsMismatch, "connect"),
];

/// The TCP faults in front of PostgreSQL and the reason each gives today.
const POSTGRES_FAULTS: [(fault_proxy::Mode, &str); 5] = [
    (fault_proxy::Mode::Refuse, "connect"),
    (fault_proxy::Mode::CloseAtAccept, "connect"),
    (fault_proxy::Mode::Hang, "timeout"),
    (fault_proxy::Mode::Reset, "connect"),
    (fault_proxy::Mode::Garbage, "connect"),
];

/// A Jolokia bulk answer: valid JSON, not what Connect answers.
const JOLOKIA_SHAPE: &str =
    r#"[{"request":{"mbean":"java.lang:type=Memory","type":"read"},"value":{"Verbose":false},"status":200}]"#;
/// A Connect listing: valid JSON, not what Jolokia answers.
const CONNECT_SHAPE: &str = r#"{"outbox":{"status":{"name":"outbox","connector":{"state":"RUNNING","worker_id":"w:8083"},"tasks":[],"type":"source"}}}"#;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real stack (scripts/test)"]
async fn connect_faults() {
    let _room = common::room::enter(module_path!());
    let faulty = FaultServer::start(Upstream::Forward(common::connect_url()), JOLOKIA_SHAPE).await;
    http_matrix("connect", "--connect.url", "", &faulty, &common::connect_url()).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real stack (scripts/test)"]
async fn jolokia_faults() {
    let _room = common::room::enter(module_path!());
    let base = format!("http://127.0.0.1:{}", env_or("JOLOKIA_PORT", "8778"));
    let faulty = FaultServer::start(Upstream::Forward(base.clone()), CONNECT_SHAPE).await;
    http_matrix("jolokia", "--jolokia.url", "/jolokia", &faulty, &format!("{base}/jolokia")).await;
}

/// The stack runs no jmx_exporter agent: both targets serve its real recorded output.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real stack (scripts/test)"]
async fn jmx_exporter_faults() {
    let _room = common::room::enter(module_path!());
    let recorded = || Upstream::Recorded {
        body: include_str!("../fixtures/jmx_exporter/jmx_exporter-0.17.2.debezium.prom").to_owned(),
        content_type: "text/plain; version=0.0.4; charset=utf-8",
    };
    let faulty = FaultServer::start(recorded(), JOLOKIA_SHAPE).await;
    let healthy = FaultServer::start(recorded(), JOLOKIA_SHAPE).await;
    http_matrix("jmx_exporter", "--jmx-exporter.url", "/metrics", &faulty, &format!("{}/metrics", healthy.url())).await;
}

/// Every HTTP fault in turn on the target behind `faulty` (`path` is the upstream's endpoint),
/// plus an https target whose server speaks plain HTTP (the TLS mismatch the other way round).
async fn http_matrix(source: &'static str, flag: &str, path: &str, faulty: &FaultServer, healthy_url: &str) {
    let plain = FaultServer::start(Upstream::Recorded { body: String::new(), content_type: "text/plain" }, "").await;
    let mut args = POLL.to_vec();
    let targets = [
        format!("{FAULTY}={}{path}", faulty.url()),
        format!("{HEALTHY}={healthy_url}"),
        format!("https=https://127.0.0.1:{}{path}", plain.port),
    ];
    for target in &targets {
        args.extend([flag, target]);
    }
    let mut bench = Bench::start(source, &args, &[]).await;

    let mut outcomes = vec![bench.stays_down("https", "https to a plain server", "connect").await];
    for (mode, reason) in HTTP_FAULTS {
        let healing = if mode == Mode::Freeze { Healing::ByItself } else { Healing::WhenSwitchedOff };
        let outcome =
            bench.case(&format!("{mode:?}"), reason, healing, || faulty.set(mode), || faulty.set(Mode::Pass)).await;
        // A case that failed may leave its fault on: switch it off for the next one.
        faulty.set(Mode::Pass);
        outcomes.push(outcome);
    }
    bench.report(outcomes);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real stack (scripts/test)"]
async fn postgres_faults() {
    let _room = common::room::enter(module_path!());
    let proxy = FaultProxy::start(&format!("127.0.0.1:{}", env_or("PG_PORT", "5432"))).await;
    let healthy = common::exporter_dsn();
    let faulty = healthy.replace(&format!("port={}", env_or("PG_PORT", "5432")), &format!("port={}", proxy.port));
    // The stack's server has ssl off: a client that insists on TLS is a real mismatch.
    let tls = format!("{healthy} sslmode=require");
    let env = [("FAULT_DSN_FAULTY", faulty.as_str()), ("FAULT_DSN_HEALTHY", &healthy), ("FAULT_DSN_TLS", &tls)];
    let mut args = POLL.to_vec();
    let targets = [
        format!("{FAULTY}=${{FAULT_DSN_FAULTY}}"),
        format!("{HEALTHY}=${{FAULT_DSN_HEALTHY}}"),
        "tls=${FAULT_DSN_TLS}".to_owned(),
    ];
    for target in &targets {
        args.extend(["--postgres.dsn", target]);
    }
    let mut bench = Bench::start("postgres", &args, &env).await;

    let mut outcomes = vec![bench.stays_down("tls", "sslmode=require, server without TLS", "connect").await];
    let freeze = bench.case("Freeze", "timeout", Healing::ByItself, || proxy.freeze(), || ()).await;
    outcomes.push(freeze);
    for (mode, reason) in POSTGRES_FAULTS {
        let pass = || proxy.set(fault_proxy::Mode::Pass);
        let outcome =
            bench.case(&format!("{mode:?}"), reason, Healing::WhenSwitchedOff, || proxy.set(mode), pass).await;
        proxy.set(fault_proxy::Mode::Pass);
        outcomes.push(outcome);
    }
    bench.report(outcomes);
}

/// Kafka's broker advertises 127.0.0.1:9092, so no proxy can stand in front of a running
/// cluster; but one can stand in for its bootstrap address. Real faults of the bootstrap: a
/// port where nothing listens, then a listener appears; a listener that never answers.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real stack (scripts/test)"]
async fn kafka_faults() {
    let _room = common::room::enter(module_path!());
    let broker = common::kafka::bootstrap();
    let refusing = FaultProxy::start(&broker).await;
    let silent = FaultProxy::start(&broker).await;
    refusing.set(fault_proxy::Mode::Refuse);
    silent.set(fault_proxy::Mode::Hang);
    let targets = [
        format!("{FAULTY}=127.0.0.1:{}", refusing.port),
        format!("{HEALTHY}={broker}"),
        format!("silent=127.0.0.1:{}", silent.port),
    ];
    let mut args = POLL.to_vec();
    for target in &targets {
        args.extend(["--kafka.brokers", target]);
    }
    let mut bench = Bench::start("kafka", &args, &[]).await;
    let outcomes = vec![
        bench
            .comes_up("nothing listens, then a listener appears", FAULTY, "connect", || {
                refusing.set(fault_proxy::Mode::Pass)
            })
            .await,
        bench
            // librdkafka's request timeout (socket.timeout.ms, the poll timeout) closes the
            // connection as a transport failure, usually before the poll's own timeout fires.
            .comes_up("a listener that never answers, then answers", "silent", "connect|timeout", || {
                silent.set(fault_proxy::Mode::Pass)
            })
            .await,
    ];
    bench.report(outcomes);
}

/// How the faulty target is expected to come back.
#[derive(Clone, Copy, PartialEq)]
enum Healing {
    /// Once the fault is switched off.
    WhenSwitchedOff,
    /// While the fault stays on: a frozen connection is dropped and a new one works.
    ByItself,
}

/// The exporter under test, and what every scrape of it has shown so far.
struct Bench {
    exporter: Exporter,
    source: &'static str,
    client: reqwest::Client,
    /// Once the healthy target is up, every scrape must show it up.
    watch_healthy: bool,
    slowest: Duration,
    /// The slowest scrape since the last case ended.
    slowest_in_case: Duration,
    scrapes: u32,
    started: Instant,
}

impl Bench {
    async fn start(source: &'static str, args: &[&str], env: &[(&str, &str)]) -> Bench {
        let exporter = Exporter::start_with_env(args, env);
        let client = reqwest::Client::builder().timeout(SCRAPE_TIMEOUT).build().unwrap();
        let mut bench = Bench {
            exporter,
            source,
            client,
            watch_healthy: false,
            slowest: Duration::ZERO,
            slowest_in_case: Duration::ZERO,
            scrapes: 0,
            started: Instant::now(),
        };
        let healthy_up = |e: &Exposition| up(e, source, HEALTHY) == Some(1.0);
        if let Err(error) = bench.wait("the healthy target up", Duration::from_secs(90), healthy_up).await {
            panic!("{source}: {error}\n{}", bench.exporter.log());
        }
        bench.watch_healthy = true;
        bench
    }

    /// One scrape: 200 within the client timeout, the healthy target up.
    async fn scrape(&mut self) -> Result<Exposition, String> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}/metrics", self.exporter.base))
            .send()
            .await
            .map_err(|error| format!("/metrics did not answer: {error}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|error| format!("/metrics body: {error}"))?;
        self.slowest_in_case = self.slowest_in_case.max(started.elapsed());
        self.slowest = self.slowest.max(self.slowest_in_case);
        self.scrapes += 1;
        if status != 200 {
            return Err(format!("/metrics answered {status}"));
        }
        let exposition = Exposition(body);
        if self.watch_healthy && up(&exposition, self.source, HEALTHY) != Some(1.0) {
            return Err(format!("the healthy target went down: {:?}", self.errors(&exposition, HEALTHY)));
        }
        Ok(exposition)
    }

    /// Scrapes until `check` holds, for at most `within`.
    async fn wait(
        &mut self,
        what: &str,
        within: Duration,
        check: impl Fn(&Exposition) -> bool,
    ) -> Result<Exposition, String> {
        let deadline = Instant::now() + within;
        loop {
            let exposition = self.scrape().await?;
            if check(&exposition) {
                return Ok(exposition);
            }
            if Instant::now() > deadline {
                return Err(format!("waited {within:?} for {what}; errors {:?}", self.errors(&exposition, FAULTY)));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Poll errors of `target` by reason.
    fn errors(&self, exposition: &Exposition, target: &str) -> BTreeMap<String, f64> {
        errors_at(exposition, self.source, target)
    }

    /// One fault: on, down for `reason`, off, up again by the second poll.
    async fn case(
        &mut self,
        fault: &str,
        reason: &str,
        healing: Healing,
        switch_on: impl FnOnce(),
        switch_off: impl Fn(),
    ) -> Outcome {
        let name = format!("{fault} → {reason}");
        let result = self.run_case(reason, healing, switch_on, switch_off).await;
        self.outcome(name, result)
    }

    async fn run_case(
        &mut self,
        reason: &str,
        healing: Healing,
        switch_on: impl FnOnce(),
        switch_off: impl Fn(),
    ) -> Result<String, String> {
        let source = self.source;
        let seen = self.wait("the faulty target up", PATIENCE, |e| up(e, source, FAULTY) == Some(1.0)).await?;
        let before = self.errors(&seen, FAULTY);
        switch_on();
        // A target that heals by itself is down only until its next poll, which may come
        // between two scrapes: its error counter is the evidence.
        let failed = |e: &Exposition| {
            (healing == Healing::ByItself || up(e, source, FAULTY) == Some(0.0))
                && total(&errors_at(e, source, FAULTY)) > total(&before)
        };
        let seen = self.wait("a failed poll", PATIENCE, failed).await?;
        let grown = grown(&before, &self.errors(&seen, FAULTY));
        if !matches(reason, &grown) {
            switch_off();
            return Err(format!("expected reason {reason}, the poll errors grew for {grown:?}"));
        }
        // At most the poll already under way when the fault ends may fail: up by the second.
        let failed_polls = match healing {
            Healing::WhenSwitchedOff => {
                let seen = self.scrape().await?;
                switch_off();
                total(&self.errors(&seen, FAULTY))
            }
            Healing::ByItself => total(&self.errors(&seen, FAULTY)),
        };
        let seen = self.wait("up again", PATIENCE, |e| up(e, source, FAULTY) == Some(1.0)).await?;
        let failed_after = total(&self.errors(&seen, FAULTY)) - failed_polls;
        if healing == Healing::ByItself {
            switch_off();
        }
        if failed_after > failures_allowed_after(source) {
            return Err(format!("{failed_after} polls failed after the fault ended: not up by the second poll"));
        }
        Ok(format!("{failed_after} failed poll(s) after"))
    }

    /// A target that is misconfigured from the start: down for `reason` alone, from its first
    /// poll on.
    async fn stays_down(&mut self, target: &str, what: &str, reason: &str) -> Outcome {
        let source = self.source;
        let result = async {
            let polled = |e: &Exposition| total(&errors_at(e, source, target)) >= 2.0;
            let seen = self.wait("two failed polls", PATIENCE, polled).await?;
            let errors = errors_at(&seen, source, target);
            if up(&seen, source, target) != Some(0.0) || !matches(reason, &errors) {
                return Err(format!(
                    "expected up 0 for {reason} alone, saw up {:?}, errors {errors:?}",
                    up(&seen, source, target)
                ));
            }
            Ok("stays down".to_owned())
        }
        .await;
        self.outcome(format!("{target}: {what} → {reason}"), result)
    }

    /// A target down from the start for `reason`, up by its second poll after `fix`.
    async fn comes_up(&mut self, what: &str, target: &str, reason: &str, fix: impl FnOnce()) -> Outcome {
        let source = self.source;
        let result = async {
            let seen = self.wait("a failed poll", PATIENCE, |e| total(&errors_at(e, source, target)) >= 1.0).await?;
            let errors = errors_at(&seen, source, target);
            if up(&seen, source, target) != Some(0.0) || !matches(reason, &errors) {
                return Err(format!("expected up 0 for {reason}, saw errors {errors:?}"));
            }
            let seen = self.scrape().await?;
            let failed_polls = total(&errors_at(&seen, source, target));
            fix();
            let seen = self.wait("up", PATIENCE, |e| up(e, source, target) == Some(1.0)).await?;
            let failed_after = total(&errors_at(&seen, source, target)) - failed_polls;
            if failed_after > failures_allowed_after(source) {
                return Err(format!("{failed_after} polls failed after the fix: not up by the second poll"));
            }
            Ok(format!("{failed_after} failed poll(s) after"))
        }
        .await;
        self.outcome(format!("{target}: {what} → {reason}"), result)
    }

    /// Adds what holds for every case: the process lives, its memory stays bounded.
    fn outcome(&mut self, name: String, result: Result<String, String>) -> Outcome {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.exporter.pid())).unwrap_or_default();
        let field = |key: &str| status.lines().find_map(|line| line.strip_prefix(key)).unwrap_or("").trim().to_owned();
        let peak_kb: u64 = field("VmHWM:").trim_end_matches(" kB").parse().unwrap_or(0);
        let result = match result {
            _ if status.is_empty() || field("State:").starts_with('Z') => Err("the exporter died".to_owned()),
            _ if peak_kb > MEMORY_BOUND_KB => Err(format!("peak memory {} MB", peak_kb / 1024)),
            result => result,
        };
        Outcome { name, result, slowest: std::mem::take(&mut self.slowest_in_case), peak_kb }
    }

    /// Prints the matrix of this upstream; fails naming every case that did not hold.
    fn report(&self, outcomes: Vec<Outcome>) {
        eprintln!(
            "{}: {} cases in {:.0?}, {} scrapes, slowest {:.0?}",
            self.source,
            outcomes.len(),
            self.started.elapsed(),
            self.scrapes,
            self.slowest
        );
        for outcome in &outcomes {
            let result = match &outcome.result {
                Ok(note) => format!("held ({note})"),
                Err(error) => format!("FAILED: {error}"),
            };
            eprintln!(
                "  {:<58} slowest scrape {:>6.0?}  peak {:>4} MB  {result}",
                outcome.name,
                outcome.slowest,
                outcome.peak_kb / 1024
            );
        }
        let failed: Vec<&Outcome> = outcomes.iter().filter(|outcome| outcome.result.is_err()).collect();
        assert!(
            failed.is_empty(),
            "{} of {} {} fault cases failed (see above)",
            failed.len(),
            outcomes.len(),
            self.source
        );
    }
}

struct Outcome {
    name: String,
    result: Result<String, String>,
    slowest: Duration,
    peak_kb: u64,
}

/// Polls that may fail once a fault has ended: the one under way. PostgreSQL also waits out
/// its reconnect backoff, which never exceeds one poll interval (`retrying_within`), so at most
/// one more poll repeats its last error without trying.
fn failures_allowed_after(source: &str) -> f64 {
    if source == "postgres" { 2.0 } else { 1.0 }
}

fn up(exposition: &Exposition, source: &str, target: &str) -> Option<f64> {
    exposition.value("debezium_exporter_source_up", &[("source", source), ("target", target)])
}

fn errors_at(exposition: &Exposition, source: &str, target: &str) -> BTreeMap<String, f64> {
    exposition
        .series("debezium_exporter_poll_errors_total", &[("source", source), ("target", target)])
        .into_iter()
        .filter_map(|(labels, value)| {
            let reason = labels.split(',').find_map(|pair| pair.strip_prefix("reason=\""))?;
            Some((reason.trim_end_matches('"').to_owned(), value))
        })
        .filter(|(_, value)| *value > 0.0)
        .collect()
}

/// Whether the errors are all for `expected`, a reason or several (`a|b`), and there are some.
fn matches(expected: &str, errors: &BTreeMap<String, f64>) -> bool {
    !errors.is_empty() && errors.keys().all(|reason| expected.split('|').any(|wanted| wanted == reason))
}

fn total(errors: &BTreeMap<String, f64>) -> f64 {
    errors.values().sum()
}

/// The reasons whose count grew, by how much.
fn grown(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    after
        .iter()
        .map(|(reason, value)| (reason.clone(), value - before.get(reason).copied().unwrap_or(0.0)))
        .filter(|(_, grown)| *grown > 0.0)
        .collect()
}
