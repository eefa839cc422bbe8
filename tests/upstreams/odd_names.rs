//! Odd names through every source and every way out (issue 11, "odd names everywhere").
//!
//! Whoever creates a connector, a topic, a consumer group or an outbox table chooses its name,
//! and the exporter carries that name into label values, the status page and the commands
//! `check` prints. These tests create such names on the real stack (a shell injection, quotes,
//! backslashes, newline, tab, `#`, `?`, `%`, `/`, spaces, HTML, unicode with bidi and combining
//! characters, 10 KB, empty), assert what each upstream refuses, and follow every name it
//! accepts to `/metrics` (promtool-clean, decoded back exactly), a real Prometheus (queried
//! back exactly), the status page (HTML-escaped text, no markup of its own) and `check` (text and JSON,
//! whose commands, pasted into a shell, address exactly that connector and run nothing else).
//! jmx_exporter is read from its recorded answer with the names as Connect's JMX reporter
//! writes them, which the Jolokia test checks against the real worker.
//!
//! The stack tests share one set of upstream objects: the first test that needs them makes
//! them and the last one running removes them ([`lease`]), on failure too; leftovers of an
//! interrupted run are removed before they are made again. Tests that only read take the
//! [`STATES`] lock shared; the `check` tests, which restart connectors, take it alone.
//! What each upstream accepts is listed in docs/odd-names.md. The module keeps its room
//! ([`common::room`]) in every test, so the shared objects are never beside another module's
//! tests; each test takes the room before its lease, so the last lease is dropped (and the
//! objects removed) while the room is still held.

use crate::common;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{Value, json};

use common::alerting::Alerting;
use common::{Exporter, env_or, psql_admin, try_psql_admin};

// ---- The names -------------------------------------------------------------------------------

/// The name from the issue: pasted into a shell unquoted, it creates `/tmp/PWNED`.
const SHELL: &str = "x'; touch /tmp/PWNED; echo '";
/// What [`SHELL`] would create.
const PWNED: &str = "/tmp/PWNED";
/// What the other injection attempts would create in the directory the commands run in.
const PWNED_HERE: &str = "odd-names-pwned";

/// Every odd name tried against every upstream.
fn odd_names() -> Vec<String> {
    let mut names: Vec<String> = [
        SHELL,
        "$(touch odd-names-pwned) `touch odd-names-pwned`",
        "say \"hi\"",
        r#"back\slash \n \" \\"#,
        "new\nline",
        "tab\there",
        "#hash",
        "what?q=1&x=2*",
        "100% %2F %zz",
        "a/b/../c",
        "two  spaces",
        "  padded  ",
        "ünï-名前-🚀",
        "evil\u{202e}txt.exe",
        "e\u{301}\u{200d}",
        "<b>&amp;</b>",
        "com,ma=eq:col",
        ".",
        "..",
        "",
    ]
    .map(str::to_owned)
    .to_vec();
    names.push(long_name());
    names
}

/// 10 KB (10,240 bytes), mostly two-byte characters.
fn long_name() -> String {
    format!("long-{}-", "ñ".repeat(5116))
}

/// A name short enough for a failure message.
fn short(name: &str) -> String {
    if name.len() > 60 {
        format!("{:?}… ({} bytes)", name.chars().take(20).collect::<String>(), name.len())
    } else {
        format!("{name:?}")
    }
}

// What each upstream does with a name (asserted by the tests, written in docs/odd-names.md).

/// Kafka Connect 3.9: a name holding an ISO control character, or nothing once trimmed (Java's
/// `trim`, everything up to U+0020), is refused with 400; any other is kept trimmed.
fn connect_keeps(name: &str) -> Option<String> {
    let trimmed = name.trim_matches(|c: char| c <= ' ');
    (!trimmed.is_empty() && !name.chars().any(char::is_control)).then(|| trimmed.to_owned())
}

/// Tansu 0.6.0 creates a topic of any name (Apache Kafka allows only `[a-zA-Z0-9._-]`, at most
/// 249, not `.` or `..`). The empty name is never tried: on Tansu, creating and deleting it
/// left every other topic unusable (Connect lost its configs).
fn tansu_keeps_topic(name: &str) -> Option<String> {
    (!name.is_empty()).then(|| name.to_owned())
}

/// A consumer group id may be any string; a librdkafka consumer with an empty `group.id` has no
/// group to commit to, so the empty name is not tried.
fn kafka_keeps_group(name: &str) -> Option<String> {
    (!name.is_empty()).then(|| name.to_owned())
}

/// Whether Tansu 0.6.0 answers OffsetFetch for a group: not for a name holding `/`, for which
/// it logs a parse error and drops the connection (the exporter leaves that group out).
fn tansu_answers_offsets(group: &str) -> bool {
    !group.contains('/')
}

/// Whether Tansu 0.6.0 gives back the offsets a group committed: not for a name with leading
/// spaces, which it stores without them (so asking by the real name finds none).
fn tansu_keeps_offsets(group: &str) -> bool {
    tansu_answers_offsets(group) && group.trim_start() == group
}

/// PostgreSQL 15, quoted identifiers: anything but the empty name (and NUL, which no client can
/// send); a name over 63 bytes is cut to at most 63 at a character boundary.
fn postgres_keeps(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let mut cut = name.len().min(63);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(name[..cut].to_owned())
}

/// `name` as a PostgreSQL quoted identifier.
fn sql_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `name` as a SQL string literal.
fn sql_literal(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// How Kafka's `Sanitizer.jmxSanitize` writes a connector name into an ObjectName value (Connect's
/// JMX reporter): as it is when it matches `[\w-%. \t]*`, else quoted as `ObjectName.quote` does.
fn jmx_sanitize(name: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '%' | '.' | ' ' | '\t');
    if name.chars().all(plain) {
        return name.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in name.chars() {
        match c {
            '\n' => quoted.push_str("\\n"),
            '\\' | '"' | '*' | '?' => {
                quoted.push('\\');
                quoted.push(c);
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A label value written in the text exposition format.
fn exposition_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A string as PromQL reads it in double quotes.
fn promql_string(value: &str) -> String {
    let mut quoted = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// `name` as one URL path segment, written here rather than taken from the crate, so a fault
/// in the crate's encoder cannot hide itself: everything but RFC 3986's unreserved characters
/// encoded, and the dots of `.` and `..` too.
fn path_segment(name: &str) -> String {
    let only_dots = !name.is_empty() && name.bytes().all(|byte| byte == b'.');
    name.bytes()
        .map(|byte| match byte {
            b'.' if !only_dots => ".".to_owned(),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'~' => char::from(byte).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A request to Connect's REST API for the connector `name` (`/connectors/NAME` + `rest`), sent
/// with curl: Rust's URL parsers read `%2E` as a dot and `/connectors/%2E%2E` as `/`, so the
/// connectors `.` and `..` cannot be reached through them. The status, and the body.
fn connector_request(method: &str, name: &str, rest: &str) -> (u16, String) {
    let url = format!("{}/connectors/{}{rest}", connect_url(), path_segment(name));
    let output = Command::new("curl")
        .args(["-sS", "-m", "90", "-X", method, "-w", "\n%{http_code}", &url])
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

/// What a terminal (or a page read with `curl`) should show of upstream text: line breaks and
/// tabs as spaces, other control characters and the bidirectional controls left out.
fn displayed(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' => Some(' '),
            c if c.is_control() => None,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .collect()
}

/// Text as HTML text content must carry it.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

// ---- Soft assertions: one failure does not hide the others ---------------------------------

#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn equal<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, seen: T, expected: T) {
        if seen != expected {
            self.0.push(format!("{what}: saw {seen:?}, expected {expected:?}"));
        }
    }

    fn finish(self, context: &str) {
        if !self.0.is_empty() {
            let mut message = format!("{} failures {context}:\n", self.0.len());
            for failure in &self.0 {
                let failure: String = failure.chars().take(2000).collect();
                message.push_str(&format!("- {failure}\n"));
            }
            panic!("{message}");
        }
    }
}

/// The set of names, shortened, for messages.
fn names_of<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    names.into_iter().map(|name| short(name)).collect()
}

/// Compares two sets of names, saying which are missing and which are extra.
fn same_names(failures: &mut Failures, what: &str, seen: &BTreeSet<String>, expected: &BTreeSet<String>) {
    let missing: Vec<&String> = expected.difference(seen).collect();
    let extra: Vec<&String> = seen.difference(expected).collect();
    failures.check(missing.is_empty() && extra.is_empty(), || {
        format!("{what}: missing {:?}, unexpected {:?}", names_of(missing), names_of(extra))
    });
}

// ---- The text exposition format, read independently of the crate ---------------------------

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses an exposition by the format's rules: label values are quoted, with `\\`, `\"` and
/// `\n` as escapes. Panics on anything else, naming the line.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty() && !line.starts_with('#')) {
        let fail = |why: &str| -> ! { panic!("not exposition format ({why}): {}", short(line)) };
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| fail("no value"));
        let name = &line[..name_end];
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(mut inner) = rest.strip_prefix('{') {
            loop {
                if let Some(after) = inner.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (label, after) = inner.split_once("=\"").unwrap_or_else(|| fail("label without a value"));
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, '\\')) => value.push('\\'),
                            Some((_, '"')) => value.push('"'),
                            Some((_, 'n')) => value.push('\n'),
                            _ => fail("unknown escape"),
                        },
                        Some((index, '"')) => break index,
                        Some((_, c)) => value.push(c),
                        None => fail("unterminated label value"),
                    }
                };
                labels.insert(label.to_owned(), value);
                inner = &after[end + 1..];
                inner = inner.strip_prefix(',').unwrap_or(inner);
            }
        }
        let value = rest.trim().split(' ').next().unwrap_or_default();
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            value => value.parse().unwrap_or_else(|_| fail("bad value")),
        };
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    samples
}

/// The values of `label` over every sample of `metric` whose labels include `with`.
fn label_values(samples: &[Sample], metric: &str, label: &str, with: &[(&str, &str)]) -> BTreeSet<String> {
    samples
        .iter()
        .filter(|sample| sample.name == metric)
        .filter(|sample| with.iter().all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value)))
        .filter_map(|sample| sample.labels.get(label).cloned())
        .collect()
}

/// The value of the one sample of `metric` with exactly these labels among others.
fn value_of(samples: &[Sample], metric: &str, with: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|sample| sample.name == metric)
        .filter(|sample| with.iter().all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value)))
        .collect();
    match found.as_slice() {
        [one] => Some(one.value),
        _ => None,
    }
}

// ---- The shared upstream objects -------------------------------------------------------------

/// The Connect cluster (and `cluster`, `db` labels) of every exporter these tests start.
const CLUSTER: &str = "odd";
/// A Debezium connector with an odd name of its own, streaming the stack's outbox table.
const DEBEZIUM: &str = "dbz \"quoted\" \\ ünï \u{202e} #?%/ '";
/// Debezium refuses odd `topic.prefix` and `slot.name` values: these are the names it takes.
const DEBEZIUM_PREFIX: &str = "odd_names_dbz";
const DEBEZIUM_SLOT: &str = "odd_names_dbz";
const PUBLICATION: &str = "odd_names_pub";
/// The longest topic name librdkafka (clients and the exporter) writes into a request.
const LIBRDKAFKA_MAX_TOPIC: usize = 512;
/// What the odd consumer groups committed on.
const GROUP_TOPIC: &str = "odd-names-groups";
/// The topic the failing sink connectors name (they fail before reading it).
const SINK_TOPIC: &str = "odd-names-sink";
/// A Connect rebalance takes ≈ 5 s on the test broker; bounded waits are generous.
const PATIENCE: Duration = Duration::from_secs(180);

/// What the set-up made, and what each upstream said.
struct Fixture {
    /// Each odd name and what `POST /connectors` answered for it.
    posted: Vec<(String, u16, String)>,
    /// The FileStream sink connectors, as Connect lists them: each task FAILED at start.
    connectors: BTreeSet<String>,
    /// Each odd name and whether the broker created a topic of it.
    created_topics: Vec<(String, Result<(), String>)>,
    topics: BTreeSet<String>,
    groups: BTreeSet<String>,
    /// Each odd name and what PostgreSQL said to `CREATE TABLE`.
    created_tables: Vec<(String, Result<(), String>)>,
    /// The tables of the odd names PostgreSQL accepted, as it stores them.
    tables: Vec<String>,
}

/// Users of the fixture now, and the fixture while there are any.
struct Shared {
    users: usize,
    fixture: Option<Arc<Fixture>>,
    /// Why the set-up failed: the tests after the first fail at once rather than wait again.
    failed: Option<String>,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared { users: 0, fixture: None, failed: None });

/// Shared by the tests that only read the upstreams' state; taken alone by those that change it.
static STATES: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A test's hold on the fixture. The first makes it, the last one dropped (a failing test's
/// too) removes what it made.
struct Lease(Arc<Fixture>);

impl std::ops::Deref for Lease {
    type Target = Fixture;
    fn deref(&self) -> &Fixture {
        &self.0
    }
}

fn lease() -> Lease {
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(why) = &shared.failed {
        panic!("the shared set-up failed before: {why}");
    }
    if shared.fixture.is_none() {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| blocking(set_up()))) {
            Ok(fixture) => shared.fixture = Some(Arc::new(fixture)),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                shared.failed = Some(why.unwrap_or_default());
                drop(shared);
                std::panic::resume_unwind(panic);
            }
        }
    }
    shared.users += 1;
    Lease(shared.fixture.clone().expect("made above"))
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        shared.users -= 1;
        if shared.users > 0 {
            return;
        }
        shared.fixture = None;
        let problems = blocking(tear_down());
        if problems.is_empty() {
            return;
        }
        if std::thread::panicking() {
            eprintln!("odd_names: cleaning up failed too: {problems:#?}");
        } else {
            panic!("odd_names: cleaning up failed: {problems:#?}");
        }
    }
}

/// Runs `future` to completion on a runtime of its own in a thread of its own, so that a
/// test's runtime (or a `Drop`) can wait for it; a panic in it is the caller's panic.
fn blocking<T: Send>(future: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn connect_url() -> String {
    common::connect_url()
}

fn jolokia_url() -> String {
    format!("http://127.0.0.1:{}/jolokia", env_or("JOLOKIA_PORT", "8778"))
}

fn bootstrap() -> String {
    common::kafka::bootstrap()
}

fn admin() -> AdminClient<DefaultClientContext> {
    ClientConfig::new().set("bootstrap.servers", bootstrap()).create().expect("admin client")
}

/// A FileStream sink whose task fails at start (its file is a directory): a connector in a
/// state `check` reports, with a task whose MBeans stay registered, and nothing to clean but
/// itself.
fn failing_sink(name: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasks.max": "1",
            "topics": SINK_TOPIC,
            "file": "/",
        }
    })
}

fn debezium_connector() -> Value {
    let mut config = common::outbox_connector("placeholder", DEBEZIUM_SLOT, PUBLICATION);
    config["name"] = DEBEZIUM.into();
    config["config"]["topic.prefix"] = DEBEZIUM_PREFIX.into();
    config
}

/// `POST /connectors`, retried while Connect answers 409 for a rebalance: the status and body.
async fn post_connector(client: &reqwest::Client, config: &Value) -> (u16, String) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let response = client.post(format!("{}/connectors", connect_url())).json(config).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        if status != 409 || body.contains("already exists") || Instant::now() > deadline {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `GET /connectors?expand=status`.
async fn connector_statuses(client: &reqwest::Client) -> serde_json::Map<String, Value> {
    let response = client.get(format!("{}/connectors?expand=status", connect_url())).send().await.unwrap();
    match response.json::<Value>().await.unwrap() {
        Value::Object(map) => map,
        other => panic!("GET /connectors?expand=status: {other}"),
    }
}

/// Waits until every sink is listed with its task FAILED and the Debezium connector's task is
/// RUNNING.
async fn wait_settled(client: &reqwest::Client, sinks: &BTreeSet<String>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let listed = connector_statuses(client).await;
        let task = |name: &str| listed.get(name).and_then(|entry| entry["status"]["tasks"][0]["state"].as_str());
        let unsettled: Vec<String> =
            sinks.iter().filter(|name| task(name) != Some("FAILED")).map(|name| short(name)).collect();
        if unsettled.is_empty() && task(DEBEZIUM) == Some("RUNNING") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after {PATIENCE:?}: tasks not FAILED: {unsettled:?}; Debezium task: {:?}",
            task(DEBEZIUM)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Makes everything the tests read; what fails half-way is removed before the panic goes on.
async fn set_up() -> Fixture {
    let leftovers = tear_down().await;
    assert!(leftovers.is_empty(), "removing what an earlier run left: {leftovers:#?}");
    let made = tokio::spawn(make()).await;
    match made {
        Ok(fixture) => fixture,
        Err(error) => {
            let problems = tear_down().await;
            if !problems.is_empty() {
                eprintln!("odd_names: cleaning up after a failed set-up failed too: {problems:#?}");
            }
            std::panic::resume_unwind(error.into_panic())
        }
    }
}

async fn make() -> Fixture {
    let client = reqwest::Client::new();
    // Connect: one failing sink per odd name, and the Debezium connector. Posted all at once:
    // each request waits ≈ 10 s for a rebalance, and concurrent ones share it.
    psql_admin(&format!("CREATE PUBLICATION {PUBLICATION} FOR TABLE public.outbox"));
    let posts = odd_names().into_iter().map(|name| {
        let client = &client;
        async move {
            let (status, body) = post_connector(client, &failing_sink(&name)).await;
            (name, status, body)
        }
    });
    let debezium = debezium_connector();
    let (posted, (status, body)) = futures::join!(futures::future::join_all(posts), post_connector(&client, &debezium));
    assert_eq!(status, 201, "creating the Debezium connector {DEBEZIUM:?}: {body}");
    let connectors: BTreeSet<String> = odd_names().iter().filter_map(|name| connect_keeps(name)).collect();
    wait_settled(&client, &connectors).await;

    // Kafka: a topic of each name (but the empty one, see tansu_keeps_topic) with one record;
    // each group commits offset 1 of 3.
    let names: Vec<String> = odd_names().into_iter().filter(|name| !name.is_empty()).collect();
    let group_topic = GROUP_TOPIC.to_owned();
    let new_topics: Vec<NewTopic> =
        names.iter().chain([&group_topic]).map(|name| NewTopic::new(name, 1, TopicReplication::Fixed(1))).collect();
    let results = admin().create_topics(&new_topics, &AdminOptions::new()).await.expect("CreateTopics");
    let mut created_topics = Vec::new();
    for result in results {
        match result {
            Ok(topic) if topic == GROUP_TOPIC => {}
            Ok(topic) => created_topics.push((topic, Ok(()))),
            Err((topic, code)) => created_topics.push((topic, Err(code.to_string()))),
        }
    }
    let topics: BTreeSet<String> =
        created_topics.iter().filter(|(_, result)| result.is_ok()).map(|(topic, _)| topic.clone()).collect();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64;
    // librdkafka refuses a topic name over 512 bytes in a produce request: that topic stays empty.
    let writable = topics.iter().filter(|topic| topic.len() <= LIBRDKAFKA_MAX_TOPIC);
    for topic in writable.chain([&group_topic, &group_topic, &group_topic]) {
        producer.send(BaseRecord::to(topic).partition(0).key("k").payload("odd").timestamp(now)).unwrap();
        producer.flush(Duration::from_secs(30)).unwrap();
    }
    let groups: BTreeSet<String> = odd_names().iter().filter_map(|name| kafka_keeps_group(name)).collect();
    for group in &groups {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut offsets = TopicPartitionList::new();
        offsets.add_partition_offset(GROUP_TOPIC, 0, Offset::Offset(1)).unwrap();
        consumer.commit(&offsets, CommitMode::Sync).unwrap_or_else(|error| panic!("group {}: {error}", short(group)));
    }

    // PostgreSQL: an outbox-shaped table of each name, two rows in each.
    let mut created_tables = Vec::new();
    let mut tables = Vec::new();
    for name in odd_names() {
        let table = format!("public.{}", sql_identifier(&name));
        let created = try_psql_admin(&format!(
            "CREATE TABLE {table} (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now()); \
             INSERT INTO {table} (id) VALUES (1), (2); GRANT SELECT ON {table} TO {}",
            env_or("PG_USER", "debezium")
        ));
        if created.is_ok() {
            // The exporter's config names a table as PostgreSQL stores it (at most 63 bytes).
            tables.push(postgres_keeps(&name).expect("created"));
        }
        created_tables.push((name, created.map(drop)));
    }
    Fixture { posted, connectors, created_topics, topics, groups, created_tables, tables }
}

/// Removes everything [`make`] makes, whether or not it is there; returns what could not be.
async fn tear_down() -> Vec<String> {
    let mut problems = Vec::new();
    let client = reqwest::Client::new();
    let mut ours: BTreeSet<String> = odd_names().iter().filter_map(|name| connect_keeps(name)).collect();
    ours.insert(DEBEZIUM.to_owned());
    let listed = connector_statuses(&client).await;
    // Deleted all at once, as they were made (a DELETE waits ≈ 10 s for its rebalance).
    let deleted: Vec<Option<String>> = std::thread::scope(|scope| {
        let threads: Vec<_> = ours
            .iter()
            .filter(|name| listed.contains_key(*name))
            .map(|name| scope.spawn(move || delete_connector(name)))
            .collect();
        threads.into_iter().map(|thread| thread.join().unwrap_or_else(|_| Some("DELETE panicked".to_owned()))).collect()
    });
    problems.extend(deleted.into_iter().flatten());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let listed = connector_statuses(&client).await;
        let left: Vec<String> = ours.iter().filter(|name| listed.contains_key(*name)).map(|name| short(name)).collect();
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            problems.push(format!("still listed after {PATIENCE:?}: {left:?}"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The Debezium connector's slot, once its task let go of it, and its publication.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let active =
            psql_admin(&format!("SELECT active FROM pg_replication_slots WHERE slot_name = '{DEBEZIUM_SLOT}'"));
        match active.trim() {
            "" => break,
            "f" => match try_psql_admin(&format!("SELECT pg_drop_replication_slot('{DEBEZIUM_SLOT}')")) {
                Ok(_) => break,
                Err(error) if error.contains("is active") && Instant::now() < deadline => {}
                Err(error) => {
                    problems.push(format!("dropping slot {DEBEZIUM_SLOT}: {error}"));
                    break;
                }
            },
            _ if Instant::now() > deadline => {
                problems.push(format!("slot {DEBEZIUM_SLOT} still active after {PATIENCE:?}"));
                break;
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if let Err(error) = try_psql_admin(&format!("DROP PUBLICATION IF EXISTS {PUBLICATION}")) {
        problems.push(format!("dropping publication: {error}"));
    }
    for name in odd_names().iter().filter(|name| !name.is_empty()) {
        if let Err(error) = try_psql_admin(&format!("DROP TABLE IF EXISTS public.{}", sql_identifier(name))) {
            problems.push(format!("dropping table {}: {error}", short(name)));
        }
    }

    // Kafka: only topics that exist are deleted (never the empty name, see tansu_keeps_topic).
    let admin = admin();
    let present: BTreeSet<String> = match admin.inner().fetch_metadata(None, Duration::from_secs(30)) {
        Ok(metadata) => metadata.topics().iter().map(|topic| topic.name().to_owned()).collect(),
        Err(error) => {
            problems.push(format!("listing topics: {error}"));
            BTreeSet::new()
        }
    };
    let mut topics: Vec<String> = odd_names().into_iter().filter(|name| !name.is_empty()).collect();
    topics.extend([GROUP_TOPIC.to_owned(), SINK_TOPIC.to_owned()]);
    let doomed: Vec<&str> = topics.iter().filter(|topic| present.contains(*topic)).map(String::as_str).collect();
    if !doomed.is_empty() {
        match admin.delete_topics(&doomed, &AdminOptions::new()).await {
            Ok(results) => problems.extend(
                results
                    .into_iter()
                    .filter_map(Result::err)
                    .map(|(topic, code)| format!("deleting topic {}: {code}", short(&topic))),
            ),
            Err(error) => problems.push(format!("DeleteTopics: {error}")),
        }
    }
    // Tansu stores a group id without its leading spaces: deleted by that name too.
    let groups: BTreeSet<String> = odd_names()
        .iter()
        .filter_map(|name| kafka_keeps_group(name))
        .flat_map(|group| [group.trim_start().to_owned(), group])
        .filter(|group| !group.is_empty())
        .collect();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    match admin.delete_groups(&groups, &AdminOptions::new()).await {
        Ok(results) => problems.extend(results.into_iter().filter_map(Result::err).filter_map(|(group, code)| {
            // Never committed (an interrupted run) or already gone.
            (code != rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)
                .then(|| format!("deleting group {}: {code}", short(&group)))
        })),
        Err(error) => problems.push(format!("DeleteGroups: {error}")),
    }
    problems
}

/// Deletes one connector (absent is fine); what went wrong, if anything.
fn delete_connector(name: &str) -> Option<String> {
    if name.len() > 4096 {
        // Longer than Connect's REST server takes in a request line (414): removed as DELETE
        // would, by tombstones on the config topic.
        return tombstone_connector(name).err().map(|error| format!("tombstones for {}: {error}", short(name)));
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        match connector_request("DELETE", name, "") {
            (204 | 404, _) => return None,
            (409, _) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(500)),
            (status, body) => return Some(format!("DELETE {}: {status} {}", short(name), short_line(&body))),
        }
    }
}

/// Removes a connector the way `DELETE /connectors/NAME` does (Connect's
/// `KafkaConfigBackingStore.removeConnectorConfig`): null values for its config and target
/// state on the config topic.
fn tombstone_connector(name: &str) -> Result<(), String> {
    let topic = env_or("CONNECT_CONFIG_TOPIC", "connect-configs");
    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", bootstrap()).create().map_err(|error| error.to_string())?;
    for key in [format!("connector-{name}"), format!("target-state-{name}")] {
        producer.send(BaseRecord::<String, ()>::to(&topic).key(&key)).map_err(|(error, _)| error.to_string())?;
    }
    producer.flush(Duration::from_secs(30)).map_err(|error| error.to_string())
}

// ---- The exporter ------------------------------------------------------------------------------

/// Which sources an exporter (or `check`) is configured with.
#[derive(Clone, Copy)]
struct Sources {
    connect: bool,
    jolokia: bool,
    kafka: bool,
    postgres: bool,
}

const ALL: Sources = Sources { connect: true, jolokia: true, kafka: true, postgres: true };

/// A config file naming every odd object of `fixture` for `sources`, in a temp dir with the
/// database password file beside it.
struct ConfigFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn config(fixture: &Fixture, sources: Sources) -> ConfigFile {
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("pg-password");
    std::fs::write(&password_file, common::pg_password()).unwrap();
    let mut config = json!({ "poll": { "interval": "1s", "timeout": "10s" }, "sources": {} });
    let section = &mut config["sources"];
    if sources.connect {
        section["connect"] = json!([{ "name": CLUSTER, "url": connect_url() }]);
    }
    if sources.jolokia {
        section["jolokia"] = json!([{ "name": "odd-worker", "url": jolokia_url(), "connect_cluster": CLUSTER }]);
    }
    if sources.kafka {
        // Names outside [a-zA-Z0-9._-] are regexes in the config: escaped, each matches itself.
        let topics: Vec<String> = fixture.topics.iter().map(|topic| regex::escape(topic)).collect();
        let groups: Vec<String> = fixture.groups.iter().map(|group| regex::escape(group)).collect();
        section["kafka"] = json!([{
            "name": CLUSTER,
            "bootstrap": bootstrap(),
            "internal_topics": [],
            "topics": topics,
            "consumer_groups": groups,
        }]);
    }
    if sources.postgres {
        let outbox: Vec<Value> = fixture
            .tables
            .iter()
            .map(|table| json!({ "table": format!("public.{}", sql_identifier(table)) }))
            .collect();
        section["postgres"] = json!([{
            "name": CLUSTER,
            "dsn": format!(
                "host=127.0.0.1 port={} dbname={} user={} sslmode=disable",
                env_or("PG_PORT", "5432"),
                env_or("PG_DATABASE", "inventory"),
                env_or("PG_USER", "debezium"),
            ),
            "password_file": password_file,
            "outbox": outbox,
        }]);
    }
    // JSON is YAML: every odd character is escaped by serde_json's rules.
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    ConfigFile { _dir: dir, path }
}

fn start_exporter(config: &ConfigFile) -> Exporter {
    Exporter::start(&["--config.file", config.path.to_str().unwrap()])
}

/// Scrapes until `ready` holds on the parsed samples (bounded); returns the text and samples.
async fn scrape_until(exporter: &Exporter, what: &str, ready: impl Fn(&[Sample]) -> bool) -> (String, Vec<Sample>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = exporter.metrics().await;
        let samples = parse_exposition(&text);
        if ready(&samples) {
            return (text, samples);
        }
        if Instant::now() > deadline {
            let up: Vec<String> = samples
                .iter()
                .filter(|sample| sample.name == "debezium_exporter_source_up")
                .map(|sample| format!("{:?}={}", sample.labels, sample.value))
                .collect();
            panic!("waited {PATIENCE:?} for {what}; up: {up:?}; exporter log:\n{}", tail(&exporter.log()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].iter().map(|line| short_line(line)).collect::<Vec<_>>().join("\n")
}

fn short_line(line: &str) -> String {
    line.chars().take(300).collect()
}

fn up(samples: &[Sample], source: &str) -> bool {
    value_of(samples, "debezium_exporter_source_up", &[("source", source)]) == Some(1.0)
}

/// What every exposition must satisfy whatever the names: promtool finds nothing to say, and
/// the password Connect hands over with every poll is nowhere.
fn exposition_is_clean(failures: &mut Failures, text: &str) {
    if let Some(complaints) = common::promtool_complaints(text) {
        // The linter's one remark on a name of ours, whatever the label values: the lag sum
        // keeps kafka_exporter's name, which ends in `_sum` without being a summary.
        let complaints: Vec<&str> = complaints
            .lines()
            .filter(|line| !line.trim().is_empty())
            .filter(|line| !line.starts_with("kafka_consumergroup_lag_sum non-histogram and non-summary metrics"))
            .collect();
        failures.check(complaints.is_empty(), || format!("promtool check metrics: {complaints:?}"));
    }
    failures.check(!text.contains(&common::pg_password()), || "the database password is in /metrics".to_owned());
}

// ---- What each upstream refuses --------------------------------------------------------------

/// Connect refuses names with control characters and empty ones, trims the rest, and keeps
/// every other character; a 10 KB name is created but answered with 500 and cannot be
/// addressed through REST (414): Jetty reads at most 8 KB of request line.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn connect_refuses_control_characters_and_empty_names_and_keeps_the_rest() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let mut failures = Failures::default();
    let client = reqwest::Client::new();
    let listed = connector_statuses(&client).await;
    for (name, status, body) in &fixture.posted {
        match connect_keeps(name) {
            None => {
                failures.equal(&format!("POST {}", short(name)), *status, 400);
                let why = if name.trim().is_empty() { "may not be empty" } else { "control" };
                failures.check(body.contains(why), || format!("POST {}: {body}", short(name)));
            }
            Some(kept) if name.len() > 8192 => {
                failures.equal(&format!("POST {}", short(name)), *status, 500);
                failures.check(listed.contains_key(&kept), || format!("{} not listed", short(name)));
                let (status, _) = connector_request("GET", &kept, "/status");
                failures.equal(&format!("GET /connectors/{}/status", short(name)), status, 414);
            }
            Some(kept) => {
                failures.equal(&format!("POST {}", short(name)), *status, 201);
                failures
                    .check(listed.contains_key(&kept), || format!("{} not listed as {}", short(name), short(&kept)));
                // Every kept name can be asked for by its percent-encoded path segment.
                let (status, body) = connector_request("GET", &kept, "/status");
                let named =
                    serde_json::from_str::<Value>(&body).ok().and_then(|body| body["name"].as_str().map(str::to_owned));
                failures.equal(&format!("GET status of {} ({status})", short(name)), named, Some(kept.clone()));
            }
        }
    }
    failures.finish("in what Connect does with odd names");
}

/// Debezium takes a `topic.prefix` of `[a-zA-Z0-9._-]` only (`.` and `..` pass), so Debezium's
/// own MBean names stay plain, and a `slot.name` of `[a-z0-9_]`, at most 63; PostgreSQL refuses
/// odd slot names itself.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn debezium_and_postgres_refuse_odd_topic_prefixes_and_slot_names() {
    let _room = common::room::enter(module_path!());
    let client = reqwest::Client::new();
    let mut failures = Failures::default();
    let validate = format!(
        "{}/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate",
        connect_url()
    );
    let base = debezium_connector()["config"].clone();
    for name in odd_names().into_iter().filter(|name| !name.is_empty()) {
        for key in ["topic.prefix", "slot.name"] {
            let mut config = base.clone();
            config["name"] = "odd-names-validate".into();
            config[key] = name.clone().into();
            let answer: Value = client.put(&validate).json(&config).send().await.unwrap().json().await.unwrap();
            let refused_by_rule = match key {
                "topic.prefix" => !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
                _ => !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') || name.len() > 63,
            };
            let errors: Vec<&Value> = answer["configs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|entry| entry["value"]["name"] == key)
                .flat_map(|entry| entry["value"]["errors"].as_array().unwrap())
                .collect();
            failures.check(errors.is_empty() != refused_by_rule, || {
                format!("Debezium's answer to {key} {}: {errors:?}", short(&name))
            });
        }
        let refused =
            try_psql_admin(&format!("SELECT pg_create_logical_replication_slot({}, 'pgoutput')", sql_literal(&name)));
        match refused {
            Err(error) => {
                failures.check(error.contains("invalid character"), || format!("slot {}: {error}", short(&name)))
            }
            Ok(_) => {
                failures.check(false, || format!("PostgreSQL created a slot named {}", short(&name)));
                let _ = try_psql_admin(&format!("SELECT pg_drop_replication_slot({})", sql_literal(&name)));
            }
        }
    }
    failures.finish("in what Debezium and PostgreSQL refuse");
}

/// The broker and PostgreSQL: which odd topic, group and table names they took.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn kafka_and_postgres_take_odd_names_as_documented() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let mut failures = Failures::default();
    for (name, created) in &fixture.created_topics {
        failures.check(created.is_ok() == tansu_keeps_topic(name).is_some(), || {
            format!("topic {}: {created:?}, expected {:?}", short(name), tansu_keeps_topic(name))
        });
    }
    for (name, created) in &fixture.created_tables {
        match (postgres_keeps(name), created) {
            (Some(_), Ok(())) => {}
            (None, Err(error)) => failures.check(error.contains("zero-length delimited identifier"), || {
                format!("table {}: {error}", short(name))
            }),
            (expected, created) => {
                failures.check(false, || format!("table {}: {created:?}, expected {expected:?}", short(name)))
            }
        }
    }
    // A name over 63 bytes is cut, at a character boundary.
    let long = postgres_keeps(&long_name()).unwrap();
    let stored = psql_admin(&format!("SELECT relname FROM pg_class WHERE relname = {}", sql_literal(&long)));
    failures.equal("the 10 KB table's stored name", stored.trim_end_matches('\n'), long.as_str());
    failures.finish("in what the broker and PostgreSQL take");
}

/// The exporter's config refuses a table name PostgreSQL would cut (over 63 bytes) rather than
/// query a table of another name, and says which key.
#[test]
fn a_table_name_postgres_would_cut_is_refused_in_the_config() {
    let _room = common::room::enter(module_path!());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let table = format!("public.{}", sql_identifier(&long_name()));
    let config = json!({ "sources": { "postgres": [{ "dsn": "host=127.0.0.1 dbname=x user=x", "outbox": [{ "table": table }] }] } });
    std::fs::write(&path, config.to_string()).unwrap();
    let error = common::refused(&["--config.file", path.to_str().unwrap()]);
    assert!(
        error.contains("sources.postgres[0].outbox[0].table") && error.contains("longer than 63 bytes"),
        "{}",
        short_line(&error)
    );
}

// ---- /metrics, source by source --------------------------------------------------------------

const CONNECT_ONLY: Sources = Sources { connect: true, jolokia: false, kafka: false, postgres: false };

/// Every connector name Connect kept comes out of /metrics exactly, each with one state.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn connect_names_come_out_of_metrics_exactly() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _reading = STATES.read().await;
    let config = config(&fixture, CONNECT_ONLY);
    let exporter = start_exporter(&config);
    let mut expected = fixture.connectors.clone();
    expected.insert(DEBEZIUM.to_owned());
    let cluster = [("cluster", CLUSTER)];
    let (text, samples) = scrape_until(&exporter, "every odd connector", |samples| {
        up(samples, "connect")
            && label_values(samples, "kafka_connect_connector_info", "connector", &cluster).len() >= expected.len()
    })
    .await;
    let mut failures = Failures::default();
    exposition_is_clean(&mut failures, &text);
    let seen = label_values(&samples, "kafka_connect_connector_info", "connector", &cluster);
    same_names(&mut failures, "kafka_connect_connector_info connectors", &seen, &expected);
    for name in &expected {
        for (metric, with) in [
            ("kafka_connect_connector_state", vec![("connector", name.as_str())]),
            ("kafka_connect_connector_task_state", vec![("connector", name.as_str()), ("task", "0")]),
        ] {
            let states: Vec<f64> = samples
                .iter()
                .filter(|sample| sample.name == metric)
                .filter(|sample| {
                    with.iter().all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
                })
                .map(|sample| sample.value)
                .collect();
            failures.check(states.len() == 6 && states.iter().sum::<f64>() == 1.0, || {
                format!("{metric} of {}: one of 6 states at 1, saw {states:?}", short(name))
            });
        }
    }
    let debezium = [("connector", DEBEZIUM), ("slot", DEBEZIUM_SLOT), ("topic_prefix", DEBEZIUM_PREFIX)];
    failures.equal(
        "debezium_connector_info of the odd Debezium connector",
        value_of(&samples, "debezium_connector_info", &debezium),
        Some(1.0),
    );
    failures.finish("in the Connect source's /metrics");
}

/// Connect's JMX reporter quotes odd connector names in its ObjectNames (checked here on the
/// real worker: what the jmx_exporter fixture relies on); Jolokia's task beans then join their
/// connectors by exactly the name Connect lists, and Debezium's beans (named by topic.prefix)
/// carry the odd Debezium connector's name.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn jolokia_beans_carry_the_exact_connector_names() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _reading = STATES.read().await;
    let mut failures = Failures::default();

    let read = json!([{ "type": "read", "mbean": "kafka.connect:type=task-error-metrics,*" }]);
    let answer: Value =
        reqwest::Client::new().post(jolokia_url()).json(&read).send().await.unwrap().json().await.unwrap();
    let beans: BTreeSet<String> =
        answer[0]["value"].as_object().map(|value| value.keys().cloned().collect()).unwrap_or_default();
    for name in &fixture.connectors {
        let bean = format!("kafka.connect:connector={},task=0,type=task-error-metrics", jmx_sanitize(name));
        failures.check(beans.contains(&bean), || format!("no bean {} among {:?}", short(&bean), names_of(&beans)));
    }

    let config = config(&fixture, Sources { connect: true, jolokia: true, kafka: false, postgres: false });
    let exporter = start_exporter(&config);
    let metric = "kafka_connect_task_error_record_errors_total";
    let cluster = [("cluster", CLUSTER)];
    let (text, samples) = scrape_until(&exporter, "a task bean of every odd connector", |samples| {
        up(samples, "jolokia")
            && up(samples, "connect")
            && fixture.connectors.is_subset(&label_values(samples, metric, "connector", &cluster))
            && value_of(samples, "debezium_connector_streaming", &[("connector", DEBEZIUM)]) == Some(1.0)
    })
    .await;
    exposition_is_clean(&mut failures, &text);
    let mut expected = fixture.connectors.clone();
    expected.insert(DEBEZIUM.to_owned());
    same_names(&mut failures, metric, &label_values(&samples, metric, "connector", &cluster), &expected);
    let streaming = [("cluster", CLUSTER), ("connector", DEBEZIUM), ("server", DEBEZIUM_PREFIX)];
    failures.equal(
        "debezium_metrics_connected of the odd Debezium connector",
        value_of(&samples, "debezium_metrics_connected", &streaming),
        Some(1.0),
    );
    failures.finish("in the Jolokia source's /metrics");
}

/// Topic names the broker took come out as `topic` labels exactly, with their watermarks and
/// newest record.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn topic_names_come_out_of_metrics_exactly() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let config = config(&fixture, Sources { connect: false, jolokia: false, kafka: true, postgres: false });
    let exporter = start_exporter(&config);
    let metric = "kafka_topic_partition_high_watermark";
    let cluster = [("cluster", CLUSTER)];
    let (text, samples) = scrape_until(&exporter, "every odd topic", |samples| {
        up(samples, "kafka") && label_values(samples, metric, "topic", &cluster).len() >= fixture.topics.len()
    })
    .await;
    let mut failures = Failures::default();
    exposition_is_clean(&mut failures, &text);
    same_names(&mut failures, metric, &label_values(&samples, metric, "topic", &cluster), &fixture.topics);
    for topic in &fixture.topics {
        let labels = [("cluster", CLUSTER), ("topic", topic.as_str()), ("partition", "0")];
        let records = if topic.len() <= LIBRDKAFKA_MAX_TOPIC { 1.0 } else { 0.0 };
        failures.equal(
            &format!("high watermark of {}", short(topic)),
            value_of(&samples, metric, &labels),
            Some(records),
        );
        let newest = value_of(&samples, "outbox_last_published_timestamp_seconds", &labels[..2]);
        failures.check(newest.is_some() == (records > 0.0), || {
            format!("newest record time of {}: {newest:?}", short(topic))
        });
    }
    failures.finish("in the Kafka source's topics");
}

/// Consumer group names come out as `group` labels exactly, with their lag; a group whose
/// offsets the broker will not give (Tansu: a name with `/`) is left out, logged, alone.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn consumer_group_names_come_out_of_metrics_exactly() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let config = config(&fixture, Sources { connect: false, jolokia: false, kafka: true, postgres: false });
    let exporter = start_exporter(&config);
    let metric = "kafka_consumergroup_lag";
    let with = [("cluster", CLUSTER), ("topic", GROUP_TOPIC)];
    let lagging: BTreeSet<String> = fixture.groups.iter().filter(|group| tansu_keeps_offsets(group)).cloned().collect();
    let (text, samples) = scrape_until(&exporter, "every odd group's lag", |samples| {
        up(samples, "kafka") && lagging.is_subset(&label_values(samples, metric, "group", &with))
    })
    .await;
    let mut failures = Failures::default();
    exposition_is_clean(&mut failures, &text);
    same_names(&mut failures, metric, &label_values(&samples, metric, "group", &with), &lagging);
    let log = exporter.log();
    for group in fixture.groups.iter().filter(|group| !tansu_answers_offsets(group)) {
        let logged =
            log.lines().any(|line| line.contains("group left out of the metrics") && line.contains(group.as_str()));
        failures.check(logged, || format!("the unreadable group {} is not logged", short(group)));
    }
    for group in &lagging {
        let labels = [("cluster", CLUSTER), ("group", group.as_str()), ("topic", GROUP_TOPIC), ("partition", "0")];
        failures.equal(&format!("lag of {}", short(group)), value_of(&samples, metric, &labels), Some(2.0));
    }
    failures.finish("in the Kafka source's consumer groups");
}

/// The `table` label of an outbox table: `schema.table`, as the config names it.
fn table_label(table: &str) -> String {
    format!("public.{table}")
}

/// Outbox tables of odd names are counted, and their names come out as `table` labels.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn outbox_table_names_come_out_of_metrics_exactly() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let config = config(&fixture, Sources { connect: false, jolokia: false, kafka: false, postgres: true });
    let exporter = start_exporter(&config);
    let metric = "outbox_table_rows";
    let db = [("db", CLUSTER)];
    let expected: BTreeSet<String> = fixture.tables.iter().map(|table| table_label(table)).collect();
    let (text, samples) = scrape_until(&exporter, "every odd outbox table", |samples| {
        up(samples, "postgres") && label_values(samples, metric, "table", &db).len() >= expected.len()
    })
    .await;
    let mut failures = Failures::default();
    exposition_is_clean(&mut failures, &text);
    same_names(&mut failures, metric, &label_values(&samples, metric, "table", &db), &expected);
    for table in &expected {
        let labels = [("db", CLUSTER), ("table", table.as_str())];
        failures.equal(&format!("rows of {}", short(table)), value_of(&samples, metric, &labels), Some(2.0));
    }
    failures.finish("in the PostgreSQL source's outbox tables");
}

/// The odd Debezium connector's slot is labelled with the connector's exact name.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn slots_carry_the_exact_connector_name() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _reading = STATES.read().await;
    let config = config(&fixture, Sources { connect: true, jolokia: false, kafka: false, postgres: true });
    let exporter = start_exporter(&config);
    let labels = [("db", CLUSTER), ("slot", DEBEZIUM_SLOT)];
    let (text, samples) = scrape_until(&exporter, "the Debezium slot joined to its connector", |samples| {
        up(samples, "postgres")
            && up(samples, "connect")
            && value_of(samples, "pg_replication_slot_active", &labels).is_some()
            && label_values(samples, "pg_replication_slot_active", "connector", &labels).iter().any(|c| !c.is_empty())
    })
    .await;
    let mut failures = Failures::default();
    exposition_is_clean(&mut failures, &text);
    let connectors = label_values(&samples, "pg_replication_slot_active", "connector", &labels);
    failures.equal("the slot's connector", connectors, BTreeSet::from([DEBEZIUM.to_owned()]));
    failures.equal("orphaned", value_of(&samples, "pg_replication_slot_orphaned", &labels), Some(0.0));
    failures.finish("in the slot join");
}

/// The jmx_exporter answer recorded from a real worker, with its one connector replaced by every
/// name Connect keeps, written as Connect's JMX reporter quotes them in ObjectNames and as
/// jmx_exporter escapes label values: each comes back unquoted and unescaped, exactly.
#[tokio::test]
async fn jmx_exporter_quoted_names_come_back_exactly() {
    let _room = common::room::enter(module_path!());
    let recorded = include_str!("../fixtures/jmx_exporter/jmx_exporter-0.17.2.debezium.prom");
    let names: BTreeSet<String> = odd_names().iter().filter_map(|name| connect_keeps(name)).collect();
    let mut body = String::new();
    for line in recorded.lines() {
        if line.contains("connector=\"outbox-connector\"") {
            for name in &names {
                let value = format!("connector=\"{}\"", exposition_escape(&jmx_sanitize(name)));
                body.push_str(&line.replace("connector=\"outbox-connector\"", &value));
                body.push('\n');
            }
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    let app = axum::Router::new().route("/metrics", axum::routing::get(move || async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let exporter = Exporter::start(&["--jmx-exporter.url", &format!("w1={url}"), "--poll.interval", "500ms"]);
    let metric = "kafka_connect_source_task_source_record_write_total";
    let (text, samples) =
        scrape_until(&exporter, "every odd connector's task", |samples| up(samples, "jmx_exporter")).await;
    let mut failures = Failures::default();
    exposition_is_clean(&mut failures, &text);
    same_names(&mut failures, metric, &label_values(&samples, metric, "connector", &[("task", "0")]), &names);
    for name in &names {
        let labels = [("connector", name.as_str()), ("task", "0")];
        failures.equal(&format!("{metric} of {}", short(name)), value_of(&samples, metric, &labels), Some(1.0));
    }
    server.abort();
    failures.finish("in the jmx_exporter source");
}

// ---- The status page -------------------------------------------------------------------------

/// Every name on the status page is HTML-escaped text (a name cannot open a tag or end a
/// cell), without the controls a terminal reading the page with `curl` would obey.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn status_page_shows_every_name_as_text() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _reading = STATES.read().await;
    let config = config(&fixture, ALL);
    let exporter = start_exporter(&config);
    let cluster = [("cluster", CLUSTER)];
    scrape_until(&exporter, "every source up with every odd name", |samples| {
        ["connect", "jolokia", "kafka", "postgres"].iter().all(|source| up(samples, source))
            && label_values(samples, "kafka_connect_connector_info", "connector", &cluster).len()
                > fixture.connectors.len()
            && label_values(samples, "kafka_consumergroup_lag", "group", &cluster).len()
                >= fixture.groups.iter().filter(|group| tansu_keeps_offsets(group)).count()
    })
    .await;
    let (status, page) = exporter.get("/").await;
    let mut failures = Failures::default();
    failures.equal("GET /", status, 200);
    let mut lines: Vec<String> = Vec::new();
    for name in fixture.connectors.iter().chain([&DEBEZIUM.to_owned()]) {
        lines.push(format!("<td>{}</td>", html_text(&displayed(name))));
        lines.push(format!("<td>{}/task-0</td>", html_text(&displayed(name))));
    }
    let answered = fixture.groups.iter().filter(|group| tansu_answers_offsets(group));
    lines.extend(answered.map(|group| format!("<td>group {}</td>", html_text(&displayed(group)))));
    lines.extend(
        fixture.tables.iter().map(|table| format!("<td>outbox {}</td>", html_text(&displayed(&table_label(table))))),
    );
    lines.push(format!("<td>slot {DEBEZIUM_SLOT}</td>"));
    lines.push(format!("<td>server {DEBEZIUM_PREFIX}</td>"));
    for line in &lines {
        failures.check(page.contains(line.as_str()), || format!("the page lacks {}", short(line)));
    }
    // Only the page's own markup: as many cells and rows closed as opened, no tag of a name's.
    for (open, close) in [("<tr>", "</tr>"), ("<td", "</td>"), ("<table>", "</table>")] {
        failures.equal(&format!("{open} vs {close}"), page.matches(open).count(), page.matches(close).count());
    }
    failures.check(!page.contains("<b>"), || "a name's <b> is markup on the page".to_owned());
    let unsafe_chars: BTreeSet<char> =
        page.chars().filter(|c| *c != '\n' && (c.is_control() || displayed(&c.to_string()).is_empty())).collect();
    failures.check(unsafe_chars.is_empty(), || format!("control or bidi characters on the page: {unsafe_chars:?}"));
    failures.check(!page.contains(&common::pg_password()), || "the database password is on the page".to_owned());
    failures
        .check(!exporter.log().contains(&common::pg_password()), || "the database password is in the log".to_owned());
    failures.finish("on the status page");
}

// ---- check ---------------------------------------------------------------------------------------

/// The Connect worker's log, which `check`'s grep commands leave as `<connect worker log>`.
fn worker_log() -> PathBuf {
    Path::new(&env_or("STACK_RUN", "/tmp/debezium-exporter-stack")).join("connect.log")
}

/// Runs one command as an on-call engineer would paste it, in `dir`, with `sh`.
fn paste(command: &str, dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let output =
        Command::new("sh").arg("-c").arg(command).current_dir(dir).envs(env.iter().copied()).output().expect("sh runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs the grep and restart commands `check` printed for each failed connector: the grep finds
/// the connector's own log lines, the restart reaches that connector (the 10 KB one: Connect
/// cannot take its URL, 414), and nothing a name says is run.
async fn paste_commands(failures: &mut Failures, commands: &BTreeMap<String, (Option<String>, Option<String>)>) {
    let dir = tempfile::tempdir().unwrap();
    let log = worker_log();
    assert!(log.is_file(), "{} is not the worker's log (STACK_RUN)", log.display());
    for (name, (grep, restart)) in commands {
        let Some(grep) = grep else {
            failures.check(false, || format!("no grep command for {}", short(name)));
            continue;
        };
        let command = grep.replace("<connect worker log>", &format!("'{}'", log.display()));
        // The log context of the connector's task, counted among what the printed grep found.
        let marker = format!("[{name}|task-0]");
        let (code, out, err) =
            paste(&format!("{command} | grep -c -F -e \"$MARKER\""), dir.path(), &[("MARKER", &marker)]);
        failures.check(code == 0 && out.trim() != "0", || {
            format!("{} found none of {}'s log lines: {out} {err}", short(&command), short(name))
        });
        let Some(restart) = restart else {
            failures.check(false, || format!("no restart command for {}", short(name)));
            continue;
        };
        let (code, out, err) = paste(&format!("{restart} -sS -o /dev/null -w '%{{http_code}}'"), dir.path(), &[]);
        let expected: &[&str] = if name.len() > 4096 { &["414"] } else { &["202", "204"] };
        failures.check(code == 0 && expected.contains(&out.as_str()), || {
            format!("{} answered {out:?} (expected {expected:?}): {err}", short(restart))
        });
    }
    let made: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    failures.check(made.is_empty(), || {
        format!("pasting check's commands made {made:?} (expected nothing; {PWNED_HERE} means a name ran)")
    });
    failures.check(!Path::new(PWNED).exists(), || format!("pasting check's commands made {PWNED}"));
}

/// The command in an action: from `curl` or `grep` on.
fn command_in(action: &str) -> Option<String> {
    ["grep -F ", "curl -X "].iter().find_map(|start| action.find(start).map(|at| action[at..].to_owned()))
}

/// `check`'s terminal report names every failed connector (as a terminal may show it), and its
/// commands, pasted into a shell, reach exactly that connector and run nothing a name says.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn check_text_commands_reach_exactly_the_named_connector() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _alone = STATES.write().await;
    if Path::new(PWNED).exists() {
        std::fs::remove_file(PWNED).expect("an old /tmp/PWNED removed");
    }
    let config = config(&fixture, ALL);
    let (code, report) = common::run_check(&config.path, &[]);
    let mut failures = Failures::default();
    failures.equal("check's exit code", code, 1);
    let unsafe_chars: BTreeSet<char> =
        report.chars().filter(|c| *c != '\n' && (c.is_control() || displayed(&c.to_string()).is_empty())).collect();
    failures.check(unsafe_chars.is_empty(), || format!("control or bidi characters in the report: {unsafe_chars:?}"));
    failures.check(!report.contains(&common::pg_password()), || "the database password is in the report".to_owned());
    let blocks: Vec<&str> = report.split("\n\n").collect();
    let mut commands = BTreeMap::new();
    for name in &fixture.connectors {
        let header = format!("CRITICAL  connect {CLUSTER} / connector {} / task 0\n", displayed(name));
        let Some(block) = blocks.iter().find(|block| block.starts_with(&header)) else {
            failures.check(false, || format!("no finding for {}", short(&header)));
            continue;
        };
        let actions: Vec<String> = block.lines().filter_map(command_in).collect();
        let grep = actions.iter().find(|command| command.starts_with("grep")).cloned();
        let restart = actions.iter().find(|command| command.starts_with("curl")).cloned();
        commands.insert(name.clone(), (grep, restart));
    }
    failures.check(!report.contains(&format!("connector {}", displayed(DEBEZIUM))), || {
        "the streaming Debezium connector is reported".to_owned()
    });
    paste_commands(&mut failures, &commands).await;
    wait_settled(&reqwest::Client::new(), &fixture.connectors).await;
    failures.finish(&format!("in check's terminal report:\n{}", short_line(&report)));
}

/// `check --output json` keeps every name exact (and terminal-safe as JSON escapes), and its
/// commands reach exactly the named connector.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn check_json_keeps_names_exact_and_its_commands_reach_them() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _alone = STATES.write().await;
    if Path::new(PWNED).exists() {
        std::fs::remove_file(PWNED).expect("an old /tmp/PWNED removed");
    }
    let config = config(&fixture, ALL);
    let (code, json) = common::run_check(&config.path, &["--output", "json"]);
    let mut failures = Failures::default();
    failures.equal("check's exit code", code, 1);
    let unsafe_chars: BTreeSet<char> =
        json.chars().filter(|c| *c != '\n' && (c.is_control() || displayed(&c.to_string()).is_empty())).collect();
    failures.check(unsafe_chars.is_empty(), || format!("raw control or bidi characters in the JSON: {unsafe_chars:?}"));
    failures.check(!json.contains(&common::pg_password()), || "the database password is in the report".to_owned());
    let report: Value = serde_json::from_str(&json).unwrap_or_else(|error| panic!("{error}: {}", short_line(&json)));
    let findings = report["findings"].as_array().expect("findings");
    let mut commands = BTreeMap::new();
    for name in &fixture.connectors {
        let subject = format!("connect {CLUSTER} / connector {name} / task 0");
        let Some(finding) = findings.iter().find(|finding| finding["subject"] == subject.as_str()) else {
            failures.check(false, || format!("no finding for {}", short(&subject)));
            continue;
        };
        failures.equal(&format!("severity of {}", short(name)), finding["severity"].as_str(), Some("critical"));
        let actions: Vec<String> = finding["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|action| command_in(action.as_str().unwrap()))
            .collect();
        let grep = actions.iter().find(|command| command.starts_with("grep")).cloned();
        let restart = actions.iter().find(|command| command.starts_with("curl")).cloned();
        commands.insert(name.clone(), (grep, restart));
    }
    paste_commands(&mut failures, &commands).await;
    wait_settled(&reqwest::Client::new(), &fixture.connectors).await;
    failures.finish("in check's JSON report");
}

// ---- A real Prometheus -----------------------------------------------------------------------

/// The values of `label` over the series Prometheus holds for `selector`.
async fn prometheus_label_values(prometheus: &str, selector: &str, label: &str) -> BTreeSet<String> {
    let answer: Value = reqwest::Client::new()
        .post(format!("{prometheus}/api/v1/series"))
        .form(&[("match[]", selector)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success", "{selector}: {answer}");
    answer["data"].as_array().unwrap().iter().filter_map(|series| series[label].as_str().map(str::to_owned)).collect()
}

/// An instant query, sent as a form (a 10 KB name does not belong in a URL): its results' labels.
async fn prometheus_query(prometheus: &str, expr: &str) -> Vec<Value> {
    let answer: Value = reqwest::Client::new()
        .post(format!("{prometheus}/api/v1/query"))
        .form(&[("query", expr)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success", "{}: {answer}", short(expr));
    answer["data"]["result"].as_array().unwrap().iter().map(|result| result["metric"].clone()).collect()
}

/// `var-NAME` of a URL's query, decoded as a browser would.
fn query_value(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// A real Prometheus scrapes every odd name and gives each back exactly, by listing and by an
/// exact selector; the generated alerts carry the names, and their dashboard links filter by
/// exactly the alert's connector.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn prometheus_gives_every_name_back_exactly() {
    let _room = common::room::enter(module_path!());
    let fixture = lease();
    let _reading = STATES.read().await;
    let config = config(&fixture, ALL);
    let exporter = start_exporter(&config);
    let alerting = Alerting::start(exporter.base.trim_start_matches("http://")).await;
    let prometheus = alerting.prometheus.clone();
    let mut connectors = fixture.connectors.clone();
    connectors.insert(DEBEZIUM.to_owned());
    let tables: BTreeSet<String> = fixture.tables.iter().map(|table| table_label(table)).collect();
    let groups: BTreeSet<String> = fixture.groups.iter().filter(|group| tansu_keeps_offsets(group)).cloned().collect();
    let wanted: [(&str, &str, &BTreeSet<String>); 5] = [
        ("kafka_connect_connector_info{cluster=\"odd\"}", "connector", &connectors),
        ("kafka_connect_task_error_record_errors_total{cluster=\"odd\"}", "connector", &connectors),
        ("kafka_topic_partition_high_watermark{cluster=\"odd\"}", "topic", &fixture.topics),
        ("kafka_consumergroup_lag{cluster=\"odd\"}", "group", &groups),
        ("outbox_table_rows{db=\"odd\"}", "table", &tables),
    ];
    let mut failures = Failures::default();
    let deadline = Instant::now() + PATIENCE;
    for (selector, label, expected) in wanted {
        let seen = loop {
            let seen = prometheus_label_values(&prometheus, selector, label).await;
            if expected.is_subset(&seen) || Instant::now() > deadline {
                break seen;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        same_names(&mut failures, &format!("Prometheus's {selector}"), &seen, expected);
    }
    for name in &connectors {
        let expr = format!("kafka_connect_connector_info{{cluster=\"odd\",connector={}}}", promql_string(name));
        let found = prometheus_query(&prometheus, &expr).await;
        let seen: Vec<Option<&str>> = found.iter().map(|metric| metric["connector"].as_str()).collect();
        failures.equal(&format!("selected by the exact name {}", short(name)), seen, vec![Some(name.as_str())]);
    }
    // The failed sink tasks make DebeziumTaskFailed pending at once (for: 1m).
    let alerts = alerting
        .wait_for_prometheus("DebeziumTaskFailed for every odd connector", PATIENCE, |alerts| {
            let named: BTreeSet<String> = alerts
                .iter()
                .filter(|alert| alert.name() == "DebeziumTaskFailed" && alert.label("cluster") == Some(CLUSTER))
                .filter_map(|alert| alert.label("connector").map(str::to_owned))
                .collect();
            fixture.connectors.is_subset(&named)
        })
        .await;
    for alert in
        alerts.iter().filter(|alert| alert.name() == "DebeziumTaskFailed" && alert.label("cluster") == Some(CLUSTER))
    {
        let connector = alert.label("connector").unwrap_or_default();
        let url = alert.annotation("dashboard_url").unwrap_or_default();
        failures.equal(
            &format!("var-connector of {}'s dashboard link", short(connector)),
            query_value(url, "var-connector").as_deref(),
            Some(connector),
        );
        failures.equal(
            &format!("var-cluster of {}'s dashboard link", short(connector)),
            query_value(url, "var-cluster").as_deref(),
            Some(CLUSTER),
        );
        let summary = alert.annotation("summary").unwrap_or_default();
        failures.check(summary.contains(connector), || format!("summary {} lacks its connector", short(summary)));
    }
    drop(alerting);
    failures.finish("in what Prometheus gives back");
}
