//! PostgreSQL: replication slots, the WAL position, and outbox tables, one database per target.
//!
//! The runbook's PostgreSQL incidents are a connector that stops reading while its slot keeps
//! WAL until the disk fills, a slot that becomes `lost` so Debezium cannot resume, and events
//! that pile up in the outbox. Slot lag is therefore reported for inactive slots too (the case
//! postgres_exporter drops), next to what the slot retains and how close it is to being lost.
//!
//! One long-lived connection per database, reconnected with exponential backoff. The session
//! is read-only, named `debezium-exporter` in `pg_stat_activity`, and its `statement_timeout`
//! is the poll timeout, so a slow query is cancelled by the server rather than left running.
//! The server version is read once per connection and picks the queries ([`plan`]), which are
//! prepared once per connection; whether the server is a standby is checked on every poll, so
//! a promotion is followed. TLS follows libpq's `sslmode` ([`tls`]).
//!
//! One poll asks `pg_replication_slots` (one row per slot), then the WAL position and
//! `max_slot_wal_keep_size` (one row), then per outbox table, concurrently: which index its
//! count can walk (a catalog lookup), the count capped at `count_cap` rows, the oldest event's
//! age (one index probe when the timestamp column is indexed) and, when the Kafka side knows
//! the newest published record, the rows newer than it (capped too). Every statement is
//! executed, not parsed, after the connection's first poll (`client.rs`).
//!
//! `outbox_unpublished_events` counts the rows newer than the newest record the Kafka source
//! saw on the table's `published_topics`, or on the topics its connectors' EventRouter routes
//! it to when none are configured ([`PublishedTopics`]).

mod client;
mod diagnose;
mod error;
mod model;
mod parse;
mod progress;
mod render;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use crate::catalog::SourceKind;
use crate::config::PostgresConfig;
use crate::join::{Newest, PublishedTopics};
use crate::snapshot::Observation;
use crate::source::{PollError, Source};
pub use client::{APPLICATION_NAME, INDEXED_COLUMN, MIN_VERSION_NUM, OutboxQueries, QueryPlan, Server, plan};
use client::{ConnectOptions, Connection, OutboxStatements};
pub use error::PostgresError;
pub use model::{DatabaseState, OutboxState, Progress, Slot};
pub use parse::InactivityClock;
use progress::ProgressClock;

const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between connection attempts: a recovered database is seen again within
/// one default poll interval, however long it was down.
const MAX_RETRY: Duration = Duration::from_secs(10);

/// When the next connection attempt may be made.
#[derive(Debug)]
struct Backoff {
    delay: Duration,
    retry_at: Option<Instant>,
    last_error: Option<PollError>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { delay: FIRST_RETRY, retry_at: None, last_error: None }
    }
}

impl Backoff {
    /// The last error again while waiting; same message, so the poll loop logs it once.
    fn check(&self, now: Instant) -> Result<(), PollError> {
        match (&self.last_error, self.retry_at) {
            (Some(error), Some(retry_at)) if now < retry_at => Err(error.clone()),
            _ => Ok(()),
        }
    }

    /// Waits longer after each failure, up to `cap`.
    fn failed(&mut self, now: Instant, error: &PollError, cap: Duration) {
        self.retry_at = Some(now + self.delay.min(cap));
        self.delay = (self.delay * 2).min(cap);
        self.last_error = Some(error.clone());
    }
}

/// A connection with the statements of each outbox table, beside `PostgresSource::outbox`.
struct Connected {
    connection: Connection,
    outbox: Vec<OutboxStatements>,
}

#[derive(Default)]
struct Session {
    connected: Option<Connected>,
    backoff: Backoff,
    clock: InactivityClock,
    progress: ProgressClock,
    /// Set while a poll runs. Still set when the next poll starts means the poll loop's
    /// timeout dropped the last one mid-query: its connection may be silent for good (a
    /// half-open TCP connection after a firewall dropped its state), so it is not reused.
    polling: bool,
}

/// Polls one PostgreSQL database.
pub struct PostgresSource {
    db: String,
    /// The database the DSN connects to: what connectors name in `database.dbname`.
    database: String,
    options: ConnectOptions,
    outbox: Vec<OutboxQueries>,
    published: Arc<PublishedTopics>,
    session: tokio::sync::Mutex<Session>,
    /// The longest wait between connection attempts (see `retrying_within`).
    retry_cap: Duration,
}

impl PostgresSource {
    pub fn new(config: &PostgresConfig, timeout: Duration, published: Arc<PublishedTopics>) -> Self {
        PostgresSource {
            db: config.db(),
            database: config.dsn.database().to_owned(),
            options: ConnectOptions {
                dsn: config.dsn.clone(),
                password_file: config.password_file.clone(),
                sslmode: config.sslmode(),
                ca_file: config.ca_file().cloned(),
                timeout,
            },
            outbox: config.outbox.iter().map(OutboxQueries::new).collect(),
            published,
            session: tokio::sync::Mutex::new(Session::default()),
            retry_cap: MAX_RETRY,
        }
    }

    /// Never waits longer than one poll `interval` between connection attempts, so a database
    /// that answers again is up by the second poll after it does, however long it was down.
    pub fn retrying_within(mut self, interval: Duration) -> Self {
        self.retry_cap = interval.clamp(FIRST_RETRY, MAX_RETRY);
        self
    }

    async fn poll_session(&self, session: &mut Session) -> Result<Arc<dyn Observation>, PollError> {
        let Session { connected: slot, backoff, clock, progress, .. } = session;
        if slot.as_ref().is_some_and(|connected| connected.connection.client.is_closed()) {
            *slot = None;
        }
        if slot.is_none() {
            backoff.check(Instant::now())?;
            match Connection::open(&self.options, &self.db).await {
                Ok(connection) => {
                    *backoff = Backoff::default();
                    let outbox = self.outbox.iter().map(|_| OutboxStatements::default()).collect();
                    *slot = Some(Connected { connection, outbox });
                }
                Err(error) => {
                    let error = PollError::from(error);
                    backoff.failed(Instant::now(), &error, self.retry_cap);
                    return Err(error);
                }
            }
        }
        let connected = slot.as_mut().expect("connected just above");
        let observed = self.observe(connected, clock, progress).await;
        if connected.connection.client.is_closed() {
            *slot = None;
        }
        Ok(Arc::new(observed?))
    }

    async fn observe(
        &self,
        connected: &mut Connected,
        clock: &mut InactivityClock,
        progress: &mut ProgressClock,
    ) -> Result<DatabaseState, PostgresError> {
        let Connected { connection, outbox: statements } = connected;
        // Slots before the LSN: a consumer confirming in between then still shows lag ≥ 0.
        let rows = connection.slots().await?;
        let now = Instant::now();
        let mut slots = parse::slots(rows, clock, now);
        progress.observe(&mut slots, now);
        let wal = connection.wal(&self.db).await?;
        let mut state = parse::database(wal, slots)?;

        let connection = &*connection;
        let tables = self.outbox.iter().zip(statements.iter_mut());
        state.outbox = futures::future::try_join_all(tables.map(|(queries, statements)| async move {
            let observed = self.observe_outbox(connection, queries, statements).await;
            if observed.is_err() {
                // The table may have changed under the statements: prepare them again.
                *statements = OutboxStatements::default();
            }
            observed.map_err(|error| PostgresError::Outbox { table: queries.table.clone(), error: Box::new(error) })
        }))
        .await?;
        Ok(state)
    }

    /// One outbox table's figures, and the rows not yet published when the Kafka side knows.
    async fn observe_outbox(
        &self,
        connection: &Connection,
        queries: &OutboxQueries,
        statements: &mut OutboxStatements,
    ) -> Result<OutboxState, PostgresError> {
        let client = &connection.client;
        let figures = statements.figures(client, &connection.indexed_column, queries).await?;
        let unpublished = match self.unpublished_since(queries) {
            Some(since) => Some(statements.unpublished(client, queries, since).await?),
            None => None,
        };
        Ok(parse::outbox(&queries.table, figures, unpublished))
    }

    /// From when a row counts as unpublished: after the newest record on the table's topics;
    /// `None` when the Kafka side does not know.
    fn unpublished_since(&self, queries: &OutboxQueries) -> Option<SystemTime> {
        let derived;
        let topics = if queries.published_topics.is_empty() {
            derived = self.published.routed_topics(&self.database, &queries.captured_as);
            &derived
        } else {
            &queries.published_topics
        };
        // Record timestamps are whole milliseconds while the column has microseconds: a row
        // of the same millisecond as the newest record counts as published (the EventRouter
        // may take its timestamp from this very column), hence `>=` newest + 1 ms.
        match self.published.newest(topics)? {
            Newest::At(newest) => Some(newest + Duration::from_millis(1)),
            Newest::Nothing => Some(SystemTime::UNIX_EPOCH),
        }
    }
}

#[async_trait]
impl Source for PostgresSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Postgres
    }

    fn target(&self) -> &str {
        &self.db
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        let mut session = self.session.lock().await;
        if std::mem::replace(&mut session.polling, true) && session.connected.take().is_some() {
            tracing::debug!(db = %self.db, "the last poll timed out: reconnecting");
        }
        let observed = self.poll_session(&mut session).await;
        session.polling = false;
        observed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ErrorReason;

    #[test]
    fn backoff_doubles_up_to_a_cap_and_repeats_the_last_error() {
        let mut backoff = Backoff::default();
        let now = Instant::now();
        assert!(backoff.check(now).is_ok());
        let error = PollError::new(ErrorReason::Connect, "refused");
        for _ in 0..10 {
            backoff.failed(now, &error, MAX_RETRY);
        }
        assert_eq!(backoff.delay, MAX_RETRY);
        assert_eq!(backoff.check(now).unwrap_err().message, "refused");
        assert!(backoff.check(now + MAX_RETRY).is_ok());
    }
}
