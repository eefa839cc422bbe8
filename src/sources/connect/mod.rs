//! Kafka Connect REST API: the state of every connector and task of one Connect cluster.
//!
//! One request per poll, `GET /connectors?expand=status&expand=info`, whatever the number of
//! connectors. Connect before 2.3 ignores `expand` and answers a plain list of names; then we
//! fall back to one status and one info request per connector, and say so once in the log.
//! The answer is read whole, up to `poll.body_size_limit` (about 1.5 KiB per Debezium connector:
//! the recording of two is 3 KiB), then each connector's entry is read on its own into
//! `client.rs`'s wire structs, which keep only the fields we use; no `serde_json::Value` is built.
//!
//! `expand=info` returns each connector's whole config, database password included in clear
//! text; only the few keys the join and the outbox routing need are ever deserialized.
//!
//! A Debezium connector whose last transform is the outbox `EventRouter` also says where its
//! tables' events go (`routing.rs`); this source hands the routes to [`crate::join::published`]
//! after each poll, for the PostgreSQL outbox tables configured without `published_topics`.
//!
//! | file | job |
//! |---|---|
//! | `client.rs` | the requests and the wire structs |
//! | `parse.rs` | answers → [`ConnectCluster`], pure |
//! | `routing.rs` | the EventRouter's routing semantics |
//! | `model.rs` | what one poll saw |
//! | `render.rs` | join facts and samples |
//! | `diagnose.rs` | findings for `check` and landing-page lines |
//! | `error.rs` | [`ConnectError`] |

mod cause;
mod client;
mod diagnose;
mod error;
mod model;
mod parse;
mod remedy;
mod render;
mod routing;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use self::client::{ConnectClient, LegacyAnswer};
pub use self::error::ConnectError;
pub use self::model::{ConnectCluster, Connector, DebeziumConfig, Skipped, Task, Trace};
pub use self::parse::{Parsed, parse, parse_legacy, read_trace};
pub use self::routing::{DEFAULT_ROUTE_TOPIC_REPLACEMENT, EVENT_ROUTER, replacement_regex};
use crate::catalog::SourceKind;
use crate::config::ConnectConfig;
use crate::http::HttpClient;
use crate::join::PublishedTopics;
use crate::snapshot::Observation;
use crate::source::{PollError, Source};

/// Polls one Kafka Connect cluster.
pub struct ConnectSource {
    cluster: String,
    client: ConnectClient,
    legacy_logged: AtomicBool,
    /// The skipped connectors already warned about: each is logged once while it stays skipped.
    warned: Mutex<BTreeSet<String>>,
    /// Where this cluster's outbox routes are shared with the PostgreSQL and Kafka sources.
    published: Arc<PublishedTopics>,
}

impl ConnectSource {
    pub fn new(config: &ConnectConfig, client: HttpClient, published: Arc<PublishedTopics>) -> Self {
        ConnectSource {
            cluster: config.cluster(),
            client: ConnectClient::new(&config.url.0, client),
            legacy_logged: AtomicBool::new(false),
            warned: Mutex::default(),
            published,
        }
    }

    async fn poll_state(&self) -> Result<ConnectCluster, ConnectError> {
        let body = self.client.expanded().await?;
        let mut state = match parse(&body)? {
            Parsed::Cluster(state) => state,
            Parsed::LegacyNames { names, skipped } => {
                let mut state = self.poll_legacy(names).await?;
                state.skipped.extend(skipped);
                state
            }
        };
        state.rest_url = self.client.rest_url();
        Ok(state)
    }

    /// Connect < 2.3: one status and one info request per connector.
    async fn poll_legacy(&self, names: Vec<String>) -> Result<ConnectCluster, ConnectError> {
        if !self.legacy_logged.swap(true, Ordering::Relaxed) {
            tracing::info!(cluster = %self.cluster, "Connect ignores ?expand (older than 2.3): polling each connector's status separately");
        }
        let mut state = ConnectCluster::default();
        for name in names {
            match self.client.legacy(&name).await? {
                LegacyAnswer::Found { status, info } => match parse_legacy(name.clone(), &status, &info) {
                    Ok(connector) => state.connectors.push(connector),
                    Err(error) => state.skipped.push(Skipped { name, reason: format!("unexpected JSON: {error}") }),
                },
                // A connector deleted between the listing and these requests is simply gone.
                LegacyAnswer::Gone => {}
                LegacyAnswer::Unaddressable => {
                    let reason = "its name cannot be asked for in a URL path".to_owned();
                    state.skipped.push(Skipped { name, reason });
                }
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
                // Built only when an outbox table derives its topics from them (docs/soak.md).
                if self.published.wants_routes() {
                    self.published.record_routes(&self.cluster, state.outbox_routings());
                }
            }
            Err(_) => self.published.forget_routes(&self.cluster),
        }
        Ok(Arc::new(polled?))
    }
}
