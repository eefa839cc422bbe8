//! Kafka Connect REST API: the state of every connector and task of one Connect cluster.
//!
//! One request per poll, `GET /connectors?expand=status&expand=info`, whatever the number of
//! connectors. Connect before 2.3 ignores `expand` and answers a plain list of names; then we
//! fall back to one status and one info request per connector, and say so once in the log.
//!
//! `expand=info` returns each connector's whole config, database password included in clear
//! text. Only the few keys in [`ConnectorConfig`] are ever deserialized; the rest of the config
//! never leaves the response body.
//!
//! A Debezium connector whose last transform is the outbox `EventRouter` also says where its
//! tables' events go ([`OutboxRouting`]); the PostgreSQL source uses that for outbox tables
//! configured without `published_topics` ([`crate::published`]).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use crate::catalog;
use crate::catalog::{Anchor, ErrorReason, Severity, SourceKind, State};
use crate::config::ConnectConfig;
use crate::http::HttpClient;
use crate::join::{DebeziumConnector, Facts, OutboxRoute, OutboxRouting, PublishedTopics};
use crate::snapshot::{Finding, Observation, Samples, StatusLine};
use crate::source::{PollError, Source};
use crate::text::{percent_encode_segment, shell_quote};

/// What one poll saw of one Connect cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterState {
    pub connectors: Vec<Connector>,
    /// Connectors listed but unreadable: counted and logged, so they hide no other.
    pub skipped: Vec<Skipped>,
    /// The REST endpoint polled (never holds credentials), for the commands `check` prints.
    pub rest_url: String,
}

/// A connector Connect listed that this poll could not read; left out of every series but
/// [`catalog::SKIPPED_CONNECTORS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The name as Connect's JSON spells it, a lone surrogate as `\uD800`.
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Connector {
    pub name: String,
    /// `source` or `sink`.
    pub kind: String,
    pub class: String,
    pub state: Option<State>,
    pub worker_id: String,
    /// What the trace of a FAILED connector says; never a label.
    pub trace: Option<Trace>,
    pub tasks: Vec<Task>,
    pub debezium: Option<DebeziumConfig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: u32,
    pub state: Option<State>,
    pub worker_id: String,
    pub trace: Option<Trace>,
}

/// The two lines of a Java stack trace a person needs: the first, and the innermost cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub head: String,
    /// The last `Caused by:` line, when there is one.
    pub root_cause: Option<String>,
}

impl Trace {
    fn parse(trace: &str) -> Option<Trace> {
        let mut lines = trace.lines().map(str::trim).filter(|line| !line.is_empty());
        let head = lines.next()?.to_owned();
        let root_cause = lines.rfind(|line| line.starts_with("Caused by:")).map(str::to_owned);
        Some(Trace { head, root_cause })
    }
}

/// The config keys that join a Debezium connector to its database, slot and MBeans.
#[derive(Debug, Clone, PartialEq)]
pub struct DebeziumConfig {
    pub database: String,
    pub slot: String,
    pub topic_prefix: String,
    pub plugin: String,
    /// `snapshot.mode` as configured (`None`: Debezium's default, `initial`).
    pub snapshot_mode: Option<String>,
    /// Where the outbox EventRouter sends the captured tables' events; `None` without one.
    pub outbox: Option<OutboxRouting>,
}

/// The `snapshot.mode` that snapshots and then stops: such a connector never streams, by design.
const SNAPSHOT_ONLY: &str = "initial_only";

/// The Debezium outbox transform.
pub const EVENT_ROUTER: &str = "io.debezium.transforms.outbox.EventRouter";

/// The EventRouter's default `route.topic.replacement`.
pub const DEFAULT_ROUTE_TOPIC_REPLACEMENT: &str = "outbox.event.${routedByValue}";

/// The routing of a connector whose **last** transform is the EventRouter. A transform after
/// it could rename the topic again, so then nothing is derived.
fn outbox_routing(config: &ConnectorConfig) -> Option<OutboxRouting> {
    let last = config.transforms.as_deref()?.split(',').map(str::trim).rfind(|alias| !alias.is_empty())?;
    let setting = |key: &str| config.transform_settings.get(&format!("transforms.{last}.{key}"));
    if setting("type").map(String::as_str) != Some(EVENT_ROUTER) {
        return None;
    }
    let replacement = setting("route.topic.replacement").map_or(DEFAULT_ROUTE_TOPIC_REPLACEMENT, String::as_str);
    // Each list under its current name, else under Debezium 1.x's.
    let entries = |list: &Option<String>, legacy: &Option<String>| -> Vec<String> {
        let list = list.as_ref().or(legacy.as_ref());
        list.map(|list| list.split(',').map(str::trim).filter(|entry| !entry.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    Some(OutboxRouting {
        tables: entries(&config.table_include_list, &config.table_whitelist),
        excluded_tables: entries(&config.table_exclude_list, &config.table_blacklist),
        schemas: entries(&config.schema_include_list, &config.schema_whitelist),
        excluded_schemas: entries(&config.schema_exclude_list, &config.schema_blacklist),
        topic_regex: replacement_regex(replacement),
    })
}

/// A regex matching every result of a Java regex replacement string: literal text is escaped,
/// each group reference (`${name}`, `$1`) becomes `.*`, `\x` is a literal `x`.
pub fn replacement_regex(replacement: &str) -> String {
    let mut regex = String::new();
    let mut chars = replacement.chars().peekable();
    let literal = |regex: &mut String, c: char| regex.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    literal(&mut regex, escaped);
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.by_ref().find(|&c| c == '}');
                regex.push_str(".*");
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.next_if(char::is_ascii_digit).is_some() {}
                regex.push_str(".*");
            }
            other => literal(&mut regex, other),
        }
    }
    regex
}

// ---- Wire format: only what we read. Unknown fields (the rest of the config) are skipped.

/// The listing: an object keyed by connector name, or Connect < 2.3's array of names. Each
/// connector's entry stays raw JSON until it is read on its own, so that one connector Connect
/// describes in a way we cannot read is skipped alone instead of failing the whole answer.
enum ConnectorsResponse<'a> {
    Expanded(Vec<(Name, &'a RawValue)>),
    Names(Vec<Name>),
}

impl<'de> Deserialize<'de> for ConnectorsResponse<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Listing;
        impl<'de> serde::de::Visitor<'de> for Listing {
            type Value = ConnectorsResponse<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object of connectors by name, or an array of connector names")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(ConnectorsResponse::Expanded(entries))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(ConnectorsResponse::Names(names))
            }
        }
        deserializer.deserialize_any(Listing)
    }
}

/// A connector name as Connect wrote it. Java strings may hold a lone UTF-16 surrogate, which
/// Jackson writes as `\uD800` and which no Rust string can hold: such a name is `Err`, spelled
/// as in the JSON for the log.
struct Name(Result<String, String>);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Name;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a connector name")
            }

            fn visit_str<E>(self, name: &str) -> Result<Name, E> {
                Ok(Name(Ok(name.to_owned())))
            }

            fn visit_bytes<E>(self, name: &[u8]) -> Result<Name, E> {
                Ok(Name(String::from_utf8(name.to_vec()).map_err(|_| spelled_as_json(name))))
            }
        }
        // As bytes, serde_json hands a string over without requiring valid Unicode: a lone
        // surrogate arrives as its WTF-8 bytes instead of failing the whole answer.
        deserializer.deserialize_bytes(Text)
    }
}

/// WTF-8 (UTF-8 that may encode lone surrogates, what serde_json gives for `\uD800`) as text,
/// each surrogate written back as its JSON escape.
fn spelled_as_json(mut bytes: &[u8]) -> String {
    let mut text = String::new();
    while !bytes.is_empty() {
        let valid = match std::str::from_utf8(bytes) {
            Ok(valid) => valid,
            Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default(),
        };
        text.push_str(valid);
        bytes = match &bytes[valid.len()..] {
            [0xED, high @ 0xA0..=0xBF, low @ 0x80..=0xBF, rest @ ..] => {
                let surrogate = 0xD000 | (u32::from(high & 0x3F) << 6) | u32::from(low & 0x3F);
                text.push_str(&format!("\\u{surrogate:04X}"));
                rest
            }
            [_, rest @ ..] => {
                text.push(char::REPLACEMENT_CHARACTER);
                rest
            }
            [] => &[],
        };
    }
    text
}

/// Why a name that is not Unicode is skipped.
const NOT_UNICODE: &str = "its name is not valid Unicode (it holds a lone UTF-16 surrogate)";

#[derive(Deserialize)]
struct Expanded {
    info: Option<Info>,
    status: Option<Status>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    config: ConnectorConfig,
}

/// The only connector config keys we ever deserialize. Never add a secret here: the values of
/// every other key are skipped unread ([`serde::de::IgnoredAny`]).
#[derive(Default)]
struct ConnectorConfig {
    /// `connector.class`
    class: Option<String>,
    /// `database.dbname`
    database: Option<String>,
    /// `slot.name`
    slot: Option<String>,
    /// `topic.prefix`
    topic_prefix: Option<String>,
    /// `database.server.name`: Debezium 1.x's name for `topic.prefix`.
    server_name: Option<String>,
    /// `plugin.name`
    plugin: Option<String>,
    /// `snapshot.mode`
    snapshot_mode: Option<String>,
    /// `table.include.list`
    table_include_list: Option<String>,
    /// `table.whitelist`: Debezium 1.x's name for `table.include.list`.
    table_whitelist: Option<String>,
    /// `table.exclude.list`
    table_exclude_list: Option<String>,
    /// `table.blacklist`: Debezium 1.x's name for `table.exclude.list`.
    table_blacklist: Option<String>,
    /// `schema.include.list`
    schema_include_list: Option<String>,
    /// `schema.whitelist`: Debezium 1.x's name for `schema.include.list`.
    schema_whitelist: Option<String>,
    /// `schema.exclude.list`
    schema_exclude_list: Option<String>,
    /// `schema.blacklist`: Debezium 1.x's name for `schema.exclude.list`.
    schema_blacklist: Option<String>,
    /// `transforms`: the transform aliases, in order.
    transforms: Option<String>,
    /// `transforms.<alias>.type` and `transforms.<alias>.route.topic.replacement`, by full key.
    transform_settings: BTreeMap<String, String>,
}

/// Whether a `transforms.<alias>.<setting>` key is one the outbox routing needs.
fn is_routing_key(key: &str) -> bool {
    key.strip_prefix("transforms.")
        .is_some_and(|rest| rest.ends_with(".type") || rest.ends_with(".route.topic.replacement"))
}

impl<'de> Deserialize<'de> for ConnectorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = ConnectorConfig;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a connector config object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ConnectorConfig, A::Error> {
                let mut config = ConnectorConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    let field = match key.as_str() {
                        "connector.class" => &mut config.class,
                        "database.dbname" => &mut config.database,
                        "slot.name" => &mut config.slot,
                        "topic.prefix" => &mut config.topic_prefix,
                        "database.server.name" => &mut config.server_name,
                        "plugin.name" => &mut config.plugin,
                        "snapshot.mode" => &mut config.snapshot_mode,
                        "table.include.list" => &mut config.table_include_list,
                        "table.whitelist" => &mut config.table_whitelist,
                        "table.exclude.list" => &mut config.table_exclude_list,
                        "table.blacklist" => &mut config.table_blacklist,
                        "schema.include.list" => &mut config.schema_include_list,
                        "schema.whitelist" => &mut config.schema_whitelist,
                        "schema.exclude.list" => &mut config.schema_exclude_list,
                        "schema.blacklist" => &mut config.schema_blacklist,
                        "transforms" => &mut config.transforms,
                        _ if is_routing_key(&key) => {
                            if let Some(value) = map.next_value::<Option<String>>()? {
                                config.transform_settings.insert(key, value);
                            }
                            continue;
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *field = map.next_value()?;
                }
                Ok(config)
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

#[derive(Deserialize)]
struct Status {
    connector: StateEntry,
    #[serde(default)]
    tasks: Vec<TaskEntry>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct StateEntry {
    state: String,
    #[serde(default)]
    worker_id: String,
    trace: Option<String>,
}

#[derive(Deserialize)]
struct TaskEntry {
    id: u32,
    state: String,
    #[serde(default)]
    worker_id: String,
    trace: Option<String>,
}

/// The answer to `GET /connectors?expand=status&expand=info`, or the legacy list of names.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Cluster(ClusterState),
    /// Connect < 2.3: only names; statuses need one request each.
    LegacyNames {
        names: Vec<String>,
        skipped: Vec<Skipped>,
    },
}

/// Parses the expanded connectors listing. Only an answer that is not such a listing is an
/// error; a connector that cannot be read is [`Skipped`].
pub fn parse(body: &[u8]) -> Result<Parsed, serde_json::Error> {
    Ok(match serde_json::from_slice(body)? {
        ConnectorsResponse::Expanded(entries) => {
            if let Some(message) = connect_error(&entries) {
                return Err(serde::de::Error::custom(format!("Connect answered an error: {message}")));
            }
            let mut state = ClusterState::default();
            for (name, entry) in entries {
                let name = match name.0 {
                    Ok(name) => name,
                    Err(name) => {
                        state.skipped.push(Skipped { name, reason: NOT_UNICODE.to_owned() });
                        continue;
                    }
                };
                match serde_json::from_str::<Expanded>(entry.get()) {
                    Ok(expanded) => state.connectors.push(connector(name, expanded.info, expanded.status)),
                    Err(error) => state.skipped.push(Skipped { name, reason: format!("unexpected JSON: {error}") }),
                }
            }
            Parsed::Cluster(state)
        }
        ConnectorsResponse::Names(listed) => {
            let (mut names, mut skipped) = (Vec::new(), Vec::new());
            for name in listed {
                match name.0 {
                    Ok(name) => names.push(name),
                    Err(name) => skipped.push(Skipped { name, reason: NOT_UNICODE.to_owned() }),
                }
            }
            Parsed::LegacyNames { names, skipped }
        }
    })
}

/// The message of Connect's error body (`{"error_code": 500, "message": "..."}`), which a
/// proxy or a Connect in trouble may send with a 200; read as a listing it would name two
/// connectors, `error_code` and `message`.
fn connect_error(entries: &[(Name, &RawValue)]) -> Option<String> {
    let value =
        |key: &str| entries.iter().find(|(name, _)| name.0.as_deref() == Ok(key)).map(|(_, value)| value.get().trim());
    let code = value("error_code")?;
    if entries.len() != 2 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    serde_json::from_str::<String>(value("message")?).ok()
}

/// Parses the legacy pair `GET /connectors/NAME/status` + `GET /connectors/NAME`.
pub fn parse_legacy(name: String, status: &[u8], info: &[u8]) -> Result<Connector, serde_json::Error> {
    let status: Status = serde_json::from_slice(status)?;
    let info: Info = serde_json::from_slice(info)?;
    Ok(connector(name, Some(info), Some(status)))
}

fn connector(name: String, info: Option<Info>, status: Option<Status>) -> Connector {
    let config = info.as_ref().map(|info| &info.config);
    let class = config.and_then(|config| config.class.clone()).unwrap_or_default();
    let kind = info
        .as_ref()
        .and_then(|info| info.kind.clone())
        .or_else(|| status.as_ref().and_then(|status| status.kind.clone()))
        .unwrap_or_default();
    let debezium = config.and_then(|config| debezium_config(&class, config));
    let (state, worker_id, trace, tasks) = match status {
        Some(status) => (
            State::parse(&status.connector.state),
            status.connector.worker_id,
            status.connector.trace.as_deref().and_then(Trace::parse),
            status
                .tasks
                .into_iter()
                .map(|task| Task {
                    id: task.id,
                    state: State::parse(&task.state),
                    worker_id: task.worker_id,
                    trace: task.trace.as_deref().and_then(Trace::parse),
                })
                .collect(),
        ),
        None => (None, String::new(), None, Vec::new()),
    };
    Connector { name, kind, class, state, worker_id, trace, tasks, debezium }
}

fn debezium_config(class: &str, config: &ConnectorConfig) -> Option<DebeziumConfig> {
    if !class.starts_with("io.debezium.") {
        return None;
    }
    // PostgresConnector's documented defaults, so the join works when a key is left out.
    let postgres = class.ends_with(".PostgresConnector");
    let default = |value: &Option<String>, postgres_default: &str| {
        value.clone().unwrap_or_else(|| if postgres { postgres_default.to_owned() } else { String::new() })
    };
    Some(DebeziumConfig {
        database: config.database.clone().unwrap_or_default(),
        slot: default(&config.slot, "debezium"),
        topic_prefix: config.topic_prefix.clone().or_else(|| config.server_name.clone()).unwrap_or_default(),
        plugin: default(&config.plugin, "decoderbufs"),
        snapshot_mode: config.snapshot_mode.clone(),
        outbox: outbox_routing(config),
    })
}

impl ClusterState {
    /// The outbox routes of every Debezium connector with an EventRouter; a connector with a
    /// capture filter the `regex` crate cannot compile (an invalid one, or Java's lookarounds
    /// and backreferences) is left out.
    pub fn outbox_routes(&self) -> Vec<OutboxRoute> {
        let mut routes = Vec::new();
        for connector in &self.connectors {
            let Some(debezium) = &connector.debezium else { continue };
            let Some(routing) = &debezium.outbox else { continue };
            match OutboxRoute::new(&connector.name, &debezium.database, routing) {
                Ok(route) => routes.push(route),
                Err(error) => tracing::debug!(connector = %connector.name, "no outbox route: {error}"),
            }
        }
        routes
    }

    /// `REST/connectors/NAME/rest` as one shell word for the commands `check` prints, the
    /// name percent-encoded.
    fn connector_url(&self, name: &str, rest: &str) -> String {
        shell_quote(&format!("{}/connectors/{}/{rest}", self.rest_url, percent_encode_segment(name)))
    }
}

impl Observation for ClusterState {
    fn share(&self, cluster: &str, facts: &mut Facts) {
        for connector in &self.connectors {
            if let Some(debezium) = &connector.debezium {
                facts.debezium_connectors.push(DebeziumConnector {
                    cluster: cluster.to_owned(),
                    connector: connector.name.clone(),
                    running: connector.state == Some(State::Running),
                    database: debezium.database.clone(),
                    slot: debezium.slot.clone(),
                    topic_prefix: debezium.topic_prefix.clone(),
                });
            }
        }
    }

    fn render(&self, cluster: &str, facts: &Facts, out: &mut Samples) {
        let tasks = || self.connectors.iter().flat_map(|connector| &connector.tasks);
        for state in State::ALL {
            let connectors = self.connectors.iter().filter(|connector| connector.state == Some(state)).count();
            out.push(&catalog::WORKER_CONNECTOR_COUNT, [cluster, state.label()], connectors as f64);
            let tasks = tasks().filter(|task| task.state == Some(state)).count();
            out.push(&catalog::WORKER_TASK_COUNT, [cluster, state.label()], tasks as f64);
        }
        out.push(&catalog::SKIPPED_CONNECTORS, [cluster], self.skipped.len() as f64);
        for connector in &self.connectors {
            let name = connector.name.as_str();
            for state in State::ALL {
                out.push(
                    &catalog::CONNECTOR_STATE,
                    [cluster, name, state.label()],
                    indicator(connector.state == Some(state)),
                );
            }
            for task in &connector.tasks {
                let id = task.id.to_string();
                for state in State::ALL {
                    out.push(
                        &catalog::CONNECTOR_TASK_STATE,
                        [cluster, name, &id, state.label()],
                        indicator(task.state == Some(state)),
                    );
                }
            }
            let failed = connector.tasks.iter().filter(|task| task.state == Some(State::Failed)).count();
            out.push(&catalog::CONNECTOR_FAILED_TASK_COUNT, [cluster, name], failed as f64);
            out.push(
                &catalog::CONNECTOR_INFO,
                [cluster, name, &connector.kind, &connector.class, &connector.worker_id],
                1.0,
            );
            if let Some(debezium) = &connector.debezium {
                out.push(
                    &catalog::DEBEZIUM_CONNECTOR_INFO,
                    [cluster, name, &debezium.database, &debezium.slot, &debezium.topic_prefix, &debezium.plugin],
                    1.0,
                );
                // Connect may say RUNNING while Debezium retries with its MBeans unregistered.
                if facts.jmx.complete() {
                    let streaming = facts.jmx.streaming(cluster, &debezium.topic_prefix);
                    out.push(&catalog::CONNECTOR_STREAMING, [cluster, name], indicator(streaming));
                }
            }
        }
    }

    fn summary(&self) -> Vec<StatusLine> {
        let mut lines = Vec::new();
        for connector in &self.connectors {
            lines.push(status_line(connector.name.clone(), connector.state, connector.trace.as_ref()));
            for task in &connector.tasks {
                lines.push(status_line(
                    format!("{}/task-{}", connector.name, task.id),
                    task.state,
                    task.trace.as_ref(),
                ));
            }
        }
        for skipped in &self.skipped {
            lines.push(StatusLine {
                subject: skipped.name.clone(),
                state: "unreadable".to_owned(),
                healthy: false,
                detail: Some(format!("left out of the metrics: {}", skipped.reason)),
            });
        }
        lines
    }

    fn findings(&self, cluster: &str, facts: &Facts) -> Vec<Finding> {
        let mut findings = Vec::new();
        for connector in &self.connectors {
            let name = &connector.name;
            let subject = format!("connect {cluster} / connector {name}");
            // The name is whatever whoever created the connector chose: quoted for the shell,
            // and percent-encoded inside URLs, so a pasted command only ever names it.
            let log = format!(
                "Read the worker's log around the failure (runbook step 1): grep -F -- {} <connect worker log>",
                shell_quote(name)
            );
            let restart = format!(
                "Once the cause is fixed, restart what failed (runbook step 2): curl -X POST {}",
                self.connector_url(name, "restart?includeTasks=true&onlyFailed=true")
            );
            match connector.state {
                Some(State::Failed) => findings.push(Finding {
                    severity: Severity::Critical,
                    subject: subject.clone(),
                    problem: failed("the connector is FAILED", connector.trace.as_ref()),
                    runbook: Anchor::S1Restart.id(),
                    actions: vec![log.clone(), restart.clone()],
                }),
                Some(state @ (State::Paused | State::Unassigned | State::Restarting)) => findings.push(Finding {
                    severity: Severity::Warning,
                    subject: subject.clone(),
                    problem: format!("the connector is {}: nothing is streamed", state.label().to_uppercase()),
                    runbook: Anchor::S1Restart.id(),
                    actions: match state {
                        State::Paused => vec![format!(
                            "Resume it if the pause was not deliberate: curl -X PUT {}",
                            self.connector_url(name, "resume")
                        )],
                        _ => vec![
                            log.clone(),
                            "Check that every Connect worker of the group is up and not rebalancing in a loop"
                                .to_owned(),
                        ],
                    },
                }),
                Some(State::Running) => {
                    // Connect says RUNNING, but Debezium is not streaming: PostgreSQL went away and
                    // the task waits to retry with its MBeans unregistered, or it loops on decode
                    // errors (tests/scenario_postgres_down.rs, tests/scenarios.rs).
                    let stuck = connector.debezium.as_ref().is_some_and(|debezium| {
                        facts.jmx.complete() && !facts.jmx.streaming(cluster, &debezium.topic_prefix)
                    });
                    let task_failed = connector.tasks.iter().any(|task| task.state == Some(State::Failed));
                    let snapshot_only = connector
                        .debezium
                        .as_ref()
                        .is_some_and(|debezium| debezium.snapshot_mode.as_deref() == Some(SNAPSHOT_ONLY));
                    if stuck && !task_failed && snapshot_only {
                        findings.push(Finding {
                            severity: Severity::Critical,
                            subject: subject.clone(),
                            problem: format!(
                                "Connect reports RUNNING but Debezium is not streaming: snapshot.mode is \
                                 {SNAPSHOT_ONLY}, which stops after the snapshot by design"
                            ),
                            runbook: Anchor::S2Streaming.id(),
                            actions: vec![format!(
                                "To capture changes, set snapshot.mode to no_data (formerly never) and update the \
                                 connector: curl -X PUT -H 'Content-Type: application/json' \
                                 {} -d @<its config>",
                                self.connector_url(name, "config")
                            )],
                        });
                    } else if stuck && !task_failed {
                        findings.push(Finding {
                            severity: Severity::Critical,
                            subject: subject.clone(),
                            problem: "Connect reports RUNNING but Debezium is not streaming: no connected streaming \
                                      MBean on any JMX bridge"
                                .to_owned(),
                            runbook: Anchor::S1Logs.id(),
                            actions: vec![
                                log.clone(),
                                "Check that the database is reachable from the worker and that the slot is active"
                                    .to_owned(),
                            ],
                        });
                    }
                }
                _ => {}
            }
            for task in connector.tasks.iter().filter(|task| task.state == Some(State::Failed)) {
                findings.push(Finding {
                    severity: Severity::Critical,
                    subject: format!("{subject} / task {}", task.id),
                    problem: failed("the task is FAILED", task.trace.as_ref()),
                    runbook: Anchor::S1Restart.id(),
                    actions: vec![log.clone(), restart.clone()],
                });
            }
        }
        findings
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn failed(what: &str, trace: Option<&Trace>) -> String {
    match trace {
        Some(Trace { head, root_cause: Some(cause) }) => format!("{what}: {head} ({cause})"),
        Some(Trace { head, root_cause: None }) => format!("{what}: {head}"),
        None => what.to_owned(),
    }
}

/// A landing-page line; a failure shows its trace's first line and its root cause.
fn status_line(subject: String, state: Option<State>, trace: Option<&Trace>) -> StatusLine {
    StatusLine {
        subject,
        state: state.map_or("unknown", State::label).to_owned(),
        healthy: matches!(state, Some(State::Running | State::Paused | State::Stopped)),
        detail: trace.map(|trace| match &trace.root_cause {
            Some(cause) => format!("{} — {cause}", trace.head),
            None => trace.head.clone(),
        }),
    }
}

/// `base` (ending in `/`) + `connectors/NAME[/ACTION]`, the name one percent-encoded path
/// segment: a space is `%20`, not the `+` of a form, and a `/` is `%2F`. `None` for the names
/// `.` and `..`, which every URL parser reads as a move in the path, not as a name.
fn connector_url(base: &Url, name: &str, action: Option<&str>) -> Option<Url> {
    if matches!(name, "." | "..") {
        return None;
    }
    let mut url = base.clone();
    {
        let mut segments = url.path_segments_mut().ok()?;
        segments.pop_if_empty().push("connectors").push(name);
        if let Some(action) = action {
            segments.push(action);
        }
    }
    Some(url)
}

fn indicator(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

/// Polls one Kafka Connect cluster.
pub struct ConnectSource {
    cluster: String,
    base: Url,
    client: HttpClient,
    legacy_logged: AtomicBool,
    /// The skipped connectors already warned about: each is logged once while it stays skipped.
    warned: Mutex<BTreeSet<String>>,
    /// Where this cluster's outbox routes are shared with the PostgreSQL and Kafka sources.
    published: Arc<PublishedTopics>,
}

impl ConnectSource {
    pub fn new(config: &ConnectConfig, client: HttpClient, published: Arc<PublishedTopics>) -> Self {
        let mut base = config.url.0.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        ConnectSource {
            cluster: config.cluster(),
            base,
            client,
            legacy_logged: AtomicBool::new(false),
            warned: Mutex::default(),
            published,
        }
    }

    fn url(&self, path: &str) -> Result<Url, PollError> {
        self.base
            .join(path)
            .map_err(|error| PollError::new(ErrorReason::Connect, format!("bad URL for {path}: {error}")))
    }

    async fn get(&self, url: Url) -> Result<bytes::Bytes, PollError> {
        self.client.fetch(self.client.get(url.as_str())).await
    }

    async fn get_unless_missing(&self, url: Url) -> Result<Option<bytes::Bytes>, PollError> {
        self.client.fetch_unless_missing(self.client.get(url.as_str())).await
    }

    async fn poll_state(&self) -> Result<ClusterState, PollError> {
        let body = self.get(self.url("connectors?expand=status&expand=info")?).await?;
        let mut state = match parse(&body).map_err(decode_error)? {
            Parsed::Cluster(state) => state,
            Parsed::LegacyNames { names, skipped } => {
                let mut state = self.poll_legacy(names).await?;
                state.skipped.extend(skipped);
                state
            }
        };
        state.rest_url = self.base.as_str().trim_end_matches('/').to_owned();
        Ok(state)
    }

    /// Connect < 2.3: one status and one info request per connector.
    async fn poll_legacy(&self, names: Vec<String>) -> Result<ClusterState, PollError> {
        if !self.legacy_logged.swap(true, Ordering::Relaxed) {
            tracing::info!(cluster = %self.cluster, "Connect ignores ?expand (older than 2.3): polling each connector's status separately");
        }
        let mut state = ClusterState::default();
        for name in names {
            let (Some(status), Some(info)) =
                (connector_url(&self.base, &name, Some("status")), connector_url(&self.base, &name, None))
            else {
                let reason = "its name cannot be asked for in a URL path".to_owned();
                state.skipped.push(Skipped { name, reason });
                continue;
            };
            let status = self.get_unless_missing(status).await?;
            let info = self.get_unless_missing(info).await?;
            // A connector deleted between the listing and these requests is simply gone.
            let (Some(status), Some(info)) = (status, info) else { continue };
            match parse_legacy(name.clone(), &status, &info) {
                Ok(connector) => state.connectors.push(connector),
                Err(error) => state.skipped.push(Skipped { name, reason: format!("unexpected JSON: {error}") }),
            }
        }
        Ok(state)
    }

    /// Warns once about each connector newly skipped; one skipped again after being read
    /// is warned about again.
    fn warn_skipped(&self, skipped: &[Skipped]) {
        let mut warned = self.warned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for connector in skipped {
            if !warned.contains(&connector.name) {
                tracing::warn!(cluster = %self.cluster, connector = %connector.name, "connector left out of the metrics: {}", connector.reason);
            }
        }
        *warned = skipped.iter().map(|connector| connector.name.clone()).collect();
    }
}

fn decode_error(error: serde_json::Error) -> PollError {
    PollError::new(ErrorReason::Decode, format!("unexpected JSON from Connect: {error}"))
}

#[async_trait]
impl Source for ConnectSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Connect
    }

    fn target(&self) -> &str {
        &self.cluster
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        let polled = self.poll_state().await;
        match &polled {
            Ok(state) => {
                self.warn_skipped(&state.skipped);
                self.published.record_routes(&self.cluster, state.outbox_routes());
            }
            Err(_) => self.published.forget_routes(&self.cluster),
        }
        Ok(Arc::new(polled?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/connect/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn cluster(name: &str) -> ClusterState {
        cluster_of(&fixture(name))
    }

    fn cluster_of(body: &[u8]) -> ClusterState {
        match parse(body).unwrap() {
            Parsed::Cluster(state) => state,
            Parsed::LegacyNames { names, .. } => panic!("parsed as a legacy list {names:?}"),
        }
    }

    fn find<'a>(state: &'a ClusterState, name: &str) -> &'a Connector {
        state.connectors.iter().find(|connector| connector.name == name).unwrap()
    }

    fn rendered(state: &ClusterState) -> String {
        let mut out = Samples::default();
        state.render("dc1", &Facts::default(), &mut out);
        let mut text = String::new();
        for metric in catalog::all() {
            for (labels, value) in out.get(metric) {
                text.push_str(&format!("{} {labels:?} {value}\n", metric.name));
            }
        }
        text
    }

    #[test]
    fn running_connectors_and_their_debezium_config() {
        let state = cluster("expand-running.json");
        assert_eq!(state.connectors.len(), 2);
        let inventory = find(&state, "inventory");
        assert_eq!(inventory.state, Some(State::Running));
        assert_eq!(inventory.kind, "source");
        assert_eq!(inventory.class, "io.debezium.connector.postgresql.PostgresConnector");
        assert_eq!(inventory.worker_id, "127.0.0.1:8083");
        assert_eq!(inventory.tasks.len(), 1);
        assert_eq!(inventory.tasks[0].state, Some(State::Running));
        assert_eq!(
            inventory.debezium,
            Some(DebeziumConfig {
                database: "inventory".into(),
                slot: "dbz_inventory".into(),
                topic_prefix: "inventory".into(),
                plugin: "pgoutput".into(),
                snapshot_mode: None,
                outbox: Some(OutboxRouting {
                    tables: vec!["public.outbox".into()],
                    topic_regex: r"outbox\.event\..*".into(),
                    ..OutboxRouting::default()
                }),
            })
        );
    }

    fn routing(config: serde_json::Value) -> Option<OutboxRouting> {
        let config: ConnectorConfig = serde_json::from_value(config).unwrap();
        outbox_routing(&config)
    }

    #[test]
    fn outbox_routing_follows_the_event_router_settings() {
        // The stack's template, as POSTed by the tests and scripts.
        let template: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/connectors/outbox-connector.json"))
                .unwrap(),
        )
        .unwrap();
        let derived = routing(template["config"].clone()).unwrap();
        assert_eq!(derived.topic_regex, r"outbox\.event\..*");
        assert_eq!(derived.tables, ["public.outbox"]);

        // The default replacement, two tables, Debezium 1.x's key.
        let derived = routing(serde_json::json!({
            "transforms": "outbox",
            "transforms.outbox.type": EVENT_ROUTER,
            "table.whitelist": "public.orders_outbox, billing\\..*_outbox",
        }))
        .unwrap();
        assert_eq!(derived.topic_regex, r"outbox\.event\..*");
        assert_eq!(derived.tables, ["public.orders_outbox", r"billing\..*_outbox"]);

        // A custom replacement with a numbered group and an escaped dollar.
        let derived = routing(serde_json::json!({
            "transforms": "unwrapped, router",
            "transforms.router.type": EVENT_ROUTER,
            "transforms.router.route.topic.regex": "(.*)",
            "transforms.router.route.topic.replacement": "shop-$1-events\\$",
        }))
        .unwrap();
        assert_eq!(derived.topic_regex, r"shop\-.*\-events\$");
        assert!(derived.tables.is_empty(), "no include list: every table");

        // The other capture filters, under their current and their 1.x names.
        let derived = routing(serde_json::json!({
            "transforms": "outbox",
            "transforms.outbox.type": EVENT_ROUTER,
            "table.exclude.list": "shop.audit_outbox",
            "schema.include.list": "shop, billing",
            "schema.blacklist": "archive",
        }))
        .unwrap();
        assert_eq!(
            (derived.excluded_tables, derived.schemas, derived.excluded_schemas),
            (
                vec!["shop.audit_outbox".to_owned()],
                vec!["shop".to_owned(), "billing".to_owned()],
                vec!["archive".to_owned()]
            )
        );

        // A fixed topic.
        assert_eq!(
            routing(serde_json::json!({
                "transforms": "outbox",
                "transforms.outbox.type": EVENT_ROUTER,
                "transforms.outbox.route.topic.replacement": "all.events",
            }))
            .unwrap()
            .topic_regex,
            r"all\.events"
        );

        // Another transform after the EventRouter may rename the topic: nothing is derived.
        assert_eq!(
            routing(serde_json::json!({
                "transforms": "outbox,rename",
                "transforms.outbox.type": EVENT_ROUTER,
                "transforms.rename.type": "org.apache.kafka.connect.transforms.RegexRouter",
            })),
            None
        );
        assert_eq!(routing(serde_json::json!({"transforms.outbox.type": EVENT_ROUTER})), None, "not listed");
        assert_eq!(routing(serde_json::json!({})), None);
    }

    #[test]
    fn outbox_routes_of_the_recorded_connectors() {
        let routes = cluster("expand-running.json").outbox_routes();
        assert_eq!(routes.len(), 2);
        for route in &routes {
            assert!(route.captures("inventory", "public.outbox"));
            assert!(route.captures("inventory", "PUBLIC.OUTBOX"), "Debezium ignores case");
            assert!(!route.captures("inventory", "public.outbox_archive"), "whole names only");
            assert!(!route.captures("other_db", "public.outbox"));
            assert!(route.topics.matches("outbox.event.order"));
            assert!(!route.topics.matches("inventory.public.outbox"));
        }
    }

    #[test]
    fn a_failed_task_under_a_running_connector_is_visible() {
        let state = cluster("expand-task-failed.json");
        let billing = find(&state, "billing");
        assert_eq!(billing.state, Some(State::Running));
        assert_eq!(billing.tasks[0].state, Some(State::Failed));
        let trace = billing.tasks[0].trace.as_ref().unwrap();
        assert!(trace.head.starts_with("org.apache.kafka.connect.errors.ConnectException"), "{trace:?}");
        let cause = trace.root_cause.as_deref().unwrap();
        assert!(cause.starts_with("Caused by:") && cause.contains("Publication autocreation is disabled"), "{cause}");
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_connector_failed_task_count ["dc1", "billing"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_worker_task_count ["dc1", "failed"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_worker_connector_count ["dc1", "failed"] 0"#), "{text}");
    }

    #[test]
    fn a_failed_connector_makes_the_runbook_expression_true() {
        let state = cluster("expand-connector-failed.json");
        assert_eq!(find(&state, "billing").state, Some(State::Failed));
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_worker_connector_count ["dc1", "failed"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_connector_state ["dc1", "billing", "failed"] 1"#), "{text}");
    }

    #[test]
    fn paused_and_stopped() {
        let paused = cluster("expand-paused.json");
        let inventory = find(&paused, "inventory");
        assert_eq!(inventory.state, Some(State::Paused));
        assert_eq!(inventory.tasks[0].state, Some(State::Paused));
        let stopped = cluster("expand-stopped.json");
        let billing = find(&stopped, "billing");
        assert_eq!(billing.state, Some(State::Stopped));
        assert!(billing.tasks.is_empty());
    }

    #[test]
    fn no_config_value_but_the_join_keys_reaches_the_output() {
        for name in ["expand-running.json", "expand-task-failed.json", "expand-paused.json", "expand-stopped.json"] {
            let body = String::from_utf8(fixture(name)).unwrap();
            assert!(body.contains("dbz-secret-pw"), "the fixture should carry the password");
            let state = cluster(name);
            assert!(!rendered(&state).contains("dbz-secret-pw"));
            assert!(!format!("{state:?}").contains("dbz-secret-pw"), "the parsed state must not hold it");
            assert!(!format!("{:?}", state.summary()).contains("dbz-secret-pw"));
        }
    }

    #[test]
    fn legacy_listing_falls_back_to_per_connector_requests() {
        assert_eq!(
            parse(&fixture("list.json")).unwrap(),
            Parsed::LegacyNames { names: vec!["inventory".into(), "billing".into()], skipped: Vec::new() }
        );
        // `GET /connectors/billing` answers what `?expand=info` nests under `info`.
        let expanded: serde_json::Value = serde_json::from_slice(&fixture("expand-running.json")).unwrap();
        let info = serde_json::to_vec(&expanded["billing"]["info"]).unwrap();
        let connector = parse_legacy("billing".into(), &fixture("status-billing-task-failed.json"), &info).unwrap();
        assert_eq!(connector.tasks[0].state, Some(State::Failed));
        assert_eq!(connector.debezium.unwrap().slot, "dbz_billing");
    }

    #[test]
    fn findings_name_the_failed_task_its_trace_and_the_restart_command() {
        assert!(cluster("expand-running.json").findings("dc1", &Facts::default()).is_empty());

        let mut state = cluster("expand-task-failed.json");
        state.rest_url = "http://connect:8083".into();
        let findings = state.findings("dc1", &Facts::default());
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.subject, "connect dc1 / connector billing / task 0");
        assert!(finding.problem.contains("ConnectException"), "{}", finding.problem);
        assert_eq!(finding.runbook, Anchor::S1Restart.id());
        assert!(finding.actions.iter().any(|action| action.contains(
            "curl -X POST 'http://connect:8083/connectors/billing/restart?includeTasks=true&onlyFailed=true'"
        )));

        let paused = cluster("expand-paused.json").findings("dc1", &Facts::default());
        assert_eq!(paused.len(), 1);
        assert_eq!(paused[0].severity, Severity::Warning);
        assert!(paused[0].actions[0].contains("/connectors/inventory/resume"), "{:?}", paused[0].actions);
    }

    #[test]
    fn connect_s_error_body_is_an_error_not_two_connectors() {
        let error = parse(br#"{"error_code":500,"message":"boom"}"#).unwrap_err();
        assert!(error.to_string().contains("Connect answered an error: boom"), "{error}");
        // Two connectors that happen to be called so are still connectors.
        let listing = br#"{"error_code":{"status":{"name":"error_code","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"source"}},"message":{"status":{"name":"message","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"source"}}}"#;
        assert!(matches!(parse(listing), Ok(Parsed::Cluster(state)) if state.connectors.len() == 2));
    }

    /// A name as Connect accepts it from whoever may create connectors.
    const HOSTILE: &str = "x'; touch /tmp/PWNED; echo '";

    /// The command after `prefix` in one of `finding`'s actions, up to `end`.
    fn command<'a>(finding: &'a Finding, prefix: &str, end: &str) -> &'a str {
        let action = finding.actions.iter().find_map(|action| action.split_once(prefix)).map(|(_, rest)| rest);
        let action = action.unwrap_or_else(|| panic!("no `{prefix}` in {:?}", finding.actions));
        action.split(end).next().unwrap()
    }

    #[test]
    fn printed_commands_pass_a_hostile_connector_name_as_one_encoded_word() {
        let mut state = cluster("expand-task-failed.json");
        state.rest_url = "http://connect:8083".into();
        state.connectors.iter_mut().find(|connector| connector.name == "billing").unwrap().name = HOSTILE.into();
        let findings = state.findings("dc1", &Facts::default());
        let encoded = "x%27%3B%20touch%20%2Ftmp%2FPWNED%3B%20echo%20%27";
        let restart = crate::text::tests::shell_words(command(&findings[0], "step 2): ", "\n"));
        let url = format!("http://connect:8083/connectors/{encoded}/restart?includeTasks=true&onlyFailed=true");
        assert_eq!(restart, ["curl", "-X", "POST", url.as_str()]);
        let grep = crate::text::tests::shell_words(command(&findings[0], "step 1): ", " <"));
        assert_eq!(grep, ["grep", "-F", "--", HOSTILE]);

        let mut paused = cluster("expand-paused.json");
        paused.rest_url = "http://connect:8083".into();
        paused.connectors.iter_mut().find(|connector| connector.name == "inventory").unwrap().name = HOSTILE.into();
        let resume =
            crate::text::tests::shell_words(command(&paused.findings("dc1", &Facts::default())[0], ": ", "\n"));
        assert_eq!(resume, ["curl", "-X", "PUT", &format!("http://connect:8083/connectors/{encoded}/resume")]);

        let mut stuck = cluster("expand-running.json");
        stuck.rest_url = "http://connect:8083".into();
        let billing = stuck.connectors.iter_mut().find(|connector| connector.name == "billing").unwrap();
        billing.debezium.as_mut().unwrap().snapshot_mode = Some("initial_only".into());
        billing.name = HOSTILE.into();
        let finding = &stuck.findings("dc1", &one_bridge_streaming_inventory())[0];
        let update = crate::text::tests::shell_words(command(finding, "connector: ", " -d @"));
        let config_url = format!("http://connect:8083/connectors/{encoded}/config");
        assert_eq!(update, ["curl", "-X", "PUT", "-H", "Content-Type: application/json", config_url.as_str()]);
    }

    /// One JMX bridge, answering, on which only the `inventory` connector streams.
    fn one_bridge_streaming_inventory() -> Facts {
        let mut facts = Facts::default();
        facts.jmx.bridges_configured = 1;
        facts.jmx.bridges_up = 1;
        facts.jmx.streaming.push(crate::join::StreamingBean {
            cluster: None,
            server: "inventory".into(),
            connected: true,
        });
        facts
    }

    #[test]
    fn running_but_not_streaming_is_reported_as_stuck() {
        let state = cluster("expand-running.json");
        let mut facts = one_bridge_streaming_inventory();
        let findings = state.findings("dc1", &facts);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].subject, "connect dc1 / connector billing");
        assert!(findings[0].problem.contains("not streaming"));
        facts.jmx.bridges_up = 0;
        assert!(state.findings("dc1", &facts).is_empty(), "a bridge that is down proves nothing");
    }

    #[test]
    fn a_snapshot_only_connector_is_stuck_by_its_own_setting() {
        let mut state = cluster("expand-running.json");
        state.rest_url = "http://connect:8083".into();
        let billing = state.connectors.iter_mut().find(|connector| connector.name == "billing").unwrap();
        billing.debezium.as_mut().unwrap().snapshot_mode = Some("initial_only".into());
        let facts = one_bridge_streaming_inventory();
        let findings = state.findings("dc1", &facts);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].problem.contains("snapshot.mode is initial_only"), "{}", findings[0].problem);
        assert_eq!(findings[0].runbook, Anchor::S2Streaming.id());
        assert!(findings[0].actions[0].contains("'http://connect:8083/connectors/billing/config'"));
    }

    /// expand-running.json with `billing` renamed `bil\uD800ling` (see the fixtures' README).
    #[test]
    fn a_connector_whose_name_is_not_unicode_hides_no_other() {
        let state = cluster("expand-lone-surrogate.json");
        let names: Vec<&str> = state.connectors.iter().map(|connector| connector.name.as_str()).collect();
        assert_eq!(names, ["inventory"]);
        assert_eq!(state.skipped, [Skipped { name: r"bil\uD800ling".into(), reason: NOT_UNICODE.into() }]);
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_skipped_connectors ["dc1"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_worker_connector_count ["dc1", "running"] 1"#), "{text}");
        let unreadable = state.summary().into_iter().find(|line| line.state == "unreadable").unwrap();
        assert_eq!((unreadable.subject.as_str(), unreadable.healthy), (r"bil\uD800ling", false));
    }

    #[test]
    fn nothing_skipped_is_a_zero() {
        let text = rendered(&cluster("expand-running.json"));
        assert!(text.contains(r#"kafka_connect_skipped_connectors ["dc1"] 0"#), "{text}");
    }

    #[test]
    fn a_legacy_name_that_is_not_unicode_is_skipped() {
        let Parsed::LegacyNames { names, skipped } = parse(&fixture("list-lone-surrogate.json")).unwrap() else {
            panic!("not a legacy listing")
        };
        assert_eq!(names, ["inventory"]);
        assert_eq!(skipped, [Skipped { name: r"bil\uD800ling".into(), reason: NOT_UNICODE.into() }]);
    }

    #[test]
    fn one_entry_that_cannot_be_read_hides_no_other() {
        let mut body: serde_json::Value = serde_json::from_slice(&fixture("expand-task-failed.json")).unwrap();
        body["billing"]["status"]["tasks"][0]["id"] = "zero".into();
        let state = cluster_of(&serde_json::to_vec(&body).unwrap());
        assert_eq!(state.connectors.iter().map(|connector| connector.name.as_str()).collect::<Vec<_>>(), ["inventory"]);
        assert_eq!(state.skipped.len(), 1);
        assert_eq!(state.skipped[0].name, "billing");
        assert!(state.skipped[0].reason.contains("expected u32"), "{}", state.skipped[0].reason);
    }

    #[test]
    fn surrogates_are_spelled_as_in_the_json() {
        assert_eq!(spelled_as_json("añb".as_bytes()), "añb");
        // What serde_json makes of "a\uD800b\uDFFF".
        assert_eq!(spelled_as_json(b"a\xED\xA0\x80b\xED\xBF\xBF"), r"a\uD800b\uDFFF");
        assert_eq!(spelled_as_json(b"a\xFFb"), "a\u{FFFD}b");
    }

    #[test]
    fn legacy_urls_take_the_name_as_one_path_segment() {
        let base = Url::parse("http://connect:8083/prefix/").unwrap();
        let url = |name, action| connector_url(&base, name, action).map(String::from);
        assert_eq!(
            url("inventory db", Some("status")).as_deref(),
            Some("http://connect:8083/prefix/connectors/inventory%20db/status")
        );
        assert_eq!(url("a/b?c#d%e", None).as_deref(), Some("http://connect:8083/prefix/connectors/a%2Fb%3Fc%23d%25e"));
        assert_eq!(url("..", None), None);
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(parse(b"<html>502 Bad Gateway</html>").is_err());
        assert!(parse(b"42").is_err());
        assert!(parse(b"[1, 2]").is_err(), "a list, but not of names");
        // A connector entry of unexpected shape is no longer an error of the whole answer:
        // one_entry_that_cannot_be_read_hides_no_other.
        assert_eq!(cluster_of(br#"{"a": {"status": {"connector": 3}}}"#).skipped.len(), 1);
    }

    #[test]
    fn unknown_states_count_nowhere() {
        assert_eq!(State::parse("RUNNING"), Some(State::Running));
        assert_eq!(State::parse("DEGRADED"), None);
    }
}
