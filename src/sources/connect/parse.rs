//! Pure: Connect's answers → [`ConnectCluster`]. Tested on payloads recorded from real
//! Connect workers (tests/fixtures/connect).

use super::cause::classify;
use super::client::{ConnectorConfig, ConnectorsResponse, Expanded, Info, Status};
use super::error::ConnectError;
use super::model::{ConnectCluster, Connector, DebeziumConfig, Skipped, Task, Trace};
use super::routing::outbox_routing;
use crate::catalog::State;

/// Why a name that is not Unicode is skipped.
pub(super) const NOT_UNICODE: &str = "its name is not valid Unicode (it holds a lone UTF-16 surrogate)";

/// The answer to `GET /connectors?expand=status&expand=info`, or the legacy list of names.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Cluster(ConnectCluster),
    /// Connect < 2.3: only names; statuses need one request each.
    LegacyNames {
        names: Vec<String>,
        skipped: Vec<Skipped>,
    },
}

/// Parses the expanded connectors listing. Only an answer that is not such a listing is an
/// error; a connector that cannot be read is [`Skipped`].
pub fn parse(body: &[u8]) -> Result<Parsed, ConnectError> {
    Ok(match serde_json::from_slice(body)? {
        ConnectorsResponse::Expanded(entries) => {
            if let Some(message) = connect_error(&entries) {
                return Err(ConnectError::Refused(message));
            }
            let mut state = ConnectCluster::default();
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
fn connect_error(entries: &[(super::client::Name, &serde_json::value::RawValue)]) -> Option<String> {
    let value =
        |key: &str| entries.iter().find(|(name, _)| name.0.as_deref() == Ok(key)).map(|(_, value)| value.get().trim());
    let code = value("error_code")?;
    if entries.len() != 2 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    serde_json::from_str::<String>(value("message")?).ok()
}

/// Parses the legacy pair `GET /connectors/NAME/status` + `GET /connectors/NAME`. The error is
/// that of the one connector, which is then skipped.
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
            status.connector.trace.as_deref().and_then(read_trace),
            status
                .tasks
                .into_iter()
                .map(|task| Task {
                    id: task.id,
                    state: State::parse(&task.state),
                    worker_id: task.worker_id,
                    trace: task.trace.as_deref().and_then(read_trace),
                })
                .collect(),
        ),
        None => (None, String::new(), None, Vec::new()),
    };
    Connector { name, kind, class, state, worker_id, trace, tasks, debezium }
}

/// The first line of a Java stack trace, its last `Caused by:` line and the cause it shows;
/// `None` for a trace of blank lines.
pub fn read_trace(text: &str) -> Option<Trace> {
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let head = lines.next()?.to_owned();
    let root_cause = lines.rfind(|line| line.starts_with("Caused by:")).map(str::to_owned);
    Some(Trace { head, root_cause, cause: classify(text) })
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
        publication: default(&config.publication, "dbz_publication"),
        tables: config.table_include_list.clone().or_else(|| config.table_whitelist.clone()),
        user: config.user.clone(),
        snapshot_mode: config.snapshot_mode.clone(),
        outbox: outbox_routing(config),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::join::{OutboxRoute, OutboxRouting};

    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/connect/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// A recorded `?expand` listing, parsed.
    pub(crate) fn cluster(name: &str) -> ConnectCluster {
        cluster_of(&fixture(name))
    }

    pub(crate) fn cluster_of(body: &[u8]) -> ConnectCluster {
        match parse(body).unwrap() {
            Parsed::Cluster(state) => state,
            Parsed::LegacyNames { names, .. } => panic!("parsed as a legacy list {names:?}"),
        }
    }

    pub(crate) fn find<'a>(state: &'a ConnectCluster, name: &str) -> &'a Connector {
        state.connectors.iter().find(|connector| connector.name == name).unwrap()
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
                publication: "dbz_publication".into(),
                tables: Some("public.outbox".into()),
                user: Some("debezium".into()),
                snapshot_mode: None,
                outbox: Some(OutboxRouting {
                    tables: vec!["public.outbox".into()],
                    topic_regex: r"outbox\.event\..*".into(),
                    ..OutboxRouting::default()
                }),
            })
        );
    }

    #[test]
    fn outbox_routes_of_the_recorded_connectors() {
        let cluster = cluster("expand-running.json");
        let routes: Vec<OutboxRoute> = cluster
            .outbox_routings()
            .map(|(connector, database, routing)| OutboxRoute::new(connector, database, routing).unwrap())
            .collect();
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
    fn connect_s_error_body_is_an_error_not_two_connectors() {
        let error = parse(br#"{"error_code":500,"message":"boom"}"#).unwrap_err();
        assert!(error.to_string().contains("Connect answered an error: boom"), "{error}");
        // Two connectors that happen to be called so are still connectors.
        let listing = br#"{"error_code":{"status":{"name":"error_code","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"source"}},"message":{"status":{"name":"message","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"source"}}}"#;
        assert!(matches!(parse(listing), Ok(Parsed::Cluster(state)) if state.connectors.len() == 2));
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

    /// Connect 4.3 with Debezium 3.6.3 (copied verbatim from shared/fixtures/debezium-3.6.3):
    /// the status gains `version` on the connector and on each task, which is not read.
    #[test]
    fn a_connect_4_status_with_versions() {
        let expanded: serde_json::Value = serde_json::from_slice(&fixture("expand-running.json")).unwrap();
        let info = serde_json::to_vec(&expanded["inventory"]["info"]).unwrap();
        let status = fixture("status-outbox-connector-4.3.json");
        let connector = parse_legacy("outbox-connector".into(), &status, &info).unwrap();
        assert_eq!((connector.state, connector.kind.as_str()), (Some(State::Running), "source"));
        assert_eq!(connector.worker_id, "127.0.0.1:8083");
        assert_eq!(connector.tasks.len(), 1);
        assert_eq!((connector.tasks[0].id, connector.tasks[0].state), (0, Some(State::Running)));
    }

    #[test]
    fn an_answer_that_is_no_listing_is_a_decode_error() {
        use crate::catalog::ErrorReason;
        assert_eq!(parse(b"42").unwrap_err().reason(), ErrorReason::Decode);
        assert_eq!(parse(br#"{"error_code":500,"message":"boom"}"#).unwrap_err().reason(), ErrorReason::Decode);
    }
}
