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
//! `outbox_unpublished_events` counts the rows newer than the newest record the Kafka source
//! saw on the table's `published_topics`, or on the topics its connectors' EventRouter routes
//! it to when none are configured ([`crate::published`]).

use std::any::Any;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio_postgres::types::PgLsn;
use tokio_postgres::{Client, Statement};

use crate::catalog;
use crate::catalog::{Anchor, ErrorReason, Severity, SourceKind, WAL_STATUSES};
use crate::config::{NamePattern, OutboxConfig, PostgresConfig, PostgresDsn, SslMode, error_chain, quote_identifier};
use crate::join::{Facts, Newest, PublishedTopics};
use crate::snapshot::{Finding, Observation, Samples, StatusLine};
use crate::source::{PollError, Source};

pub mod tls;

/// Shown in `pg_stat_activity.application_name`, so DBAs can tell who is asking.
pub const APPLICATION_NAME: &str = "debezium-exporter";

/// The oldest PostgreSQL with `pg_current_wal_lsn()` and `confirmed_flush_lsn`.
pub const MIN_VERSION_NUM: i32 = 100_000;

const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between connection attempts: a recovered database is seen again within
/// one default poll interval, however long it was down.
const MAX_RETRY: Duration = Duration::from_secs(10);
/// Idle time before the kernel probes the connection (then every third of it, three times).
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

/// What the queries depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// `server_version_num`, e.g. 150004.
    pub version_num: i32,
    pub in_recovery: bool,
}

/// The SQL for one kind of server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlan {
    /// One row: `pg_is_in_recovery()`, the current LSN, `max_slot_wal_keep_size` in bytes or NULL.
    pub wal: String,
    /// One row per slot: name, type, plugin, database, active, restart_lsn,
    /// confirmed_flush_lsn, wal_status, safe_wal_size, seconds since inactive_since.
    pub slots: String,
}

/// Chooses the queries for a server version and role. Pure, so every version is tested
/// without running it: 13 added `wal_status`, `safe_wal_size` and `max_slot_wal_keep_size`;
/// 17 added `inactive_since`; a standby has no `pg_current_wal_lsn()`.
pub fn plan(server: Server) -> Result<QueryPlan, String> {
    if server.version_num < MIN_VERSION_NUM {
        return Err(format!(
            "PostgreSQL {} is not supported: replication slot queries need 10 or later",
            server.version_num / 10_000
        ));
    }
    let current_lsn = if server.in_recovery {
        "COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
    } else {
        "pg_current_wal_lsn()"
    };
    let since_13 = server.version_num >= 130_000;
    let since_17 = server.version_num >= 170_000;
    let max_slot_wal_keep_size = if since_13 {
        "(SELECT CASE WHEN setting = '-1' THEN -1 ELSE setting::float8 * pg_size_bytes('1' || unit) END \
         FROM pg_settings WHERE name = 'max_slot_wal_keep_size')"
    } else {
        "NULL::float8"
    };
    let wal_status = if since_13 { "wal_status, safe_wal_size" } else { "NULL::text, NULL::bigint" };
    let inactive = if since_17 { "EXTRACT(EPOCH FROM now() - inactive_since)::float8" } else { "NULL::float8" };
    Ok(QueryPlan {
        wal: format!("SELECT pg_is_in_recovery(), {current_lsn}, {max_slot_wal_keep_size}"),
        slots: format!(
            "SELECT slot_name::text, slot_type, plugin::text, database::text, active, restart_lsn, \
             confirmed_flush_lsn, {wal_status}, {inactive} FROM pg_replication_slots ORDER BY slot_name"
        ),
    })
}

/// The leading column of a full, valid btree index of table `$1` (quoted SQL name), the
/// timestamp column `$2` first, then the primary key's: what the capped count can walk in order.
/// Left out, since `ORDER BY column` would sort the whole table instead of walking them:
/// expression and partial indexes, and indexes not in the column's plain ascending order
/// (another operator class such as `text_pattern_ops`, another collation, `DESC NULLS LAST`,
/// `NULLS FIRST`; indoption 3, `DESC` with its default `NULLS FIRST`, is walked backwards).
pub const INDEXED_COLUMN: &str = "SELECT a.attname::text FROM pg_index i \
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
     JOIN pg_opclass opclass ON opclass.oid = i.indclass[0] \
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
     WHERE i.indrelid = ($1::text)::regclass AND i.indisvalid AND i.indisready AND i.indpred IS NULL \
     AND am.amname = 'btree' AND opclass.opcdefault AND i.indcollation[0] = a.attcollation \
     AND i.indoption[0] IN (0, 3) \
     ORDER BY a.attname::text = $2::text DESC, i.indisprimary DESC, c.relname LIMIT 1";

/// The bounded queries for one outbox table, names quoted.
#[derive(Debug, Clone)]
pub struct OutboxQueries {
    /// The `table` label.
    pub table: String,
    /// The table as SQL (`"public"."outbox"`): `$1` of [`INDEXED_COLUMN`].
    pub table_sql: String,
    /// The timestamp column as stored: `$2` of [`INDEXED_COLUMN`].
    pub timestamp_column: String,
    /// now − min(timestamp column): one index probe when the column is indexed.
    pub oldest_age: String,
    /// Rows at or after `$1`, at most `$2`: an index range scan when the column is indexed.
    pub unpublished: String,
    pub published_topics: Vec<NamePattern>,
    /// `schema.table` as the connectors' `table.include.list` names it, to derive the topics
    /// when `published_topics` is empty.
    pub captured_as: String,
    pub cap: i64,
}

impl OutboxQueries {
    pub fn new(outbox: &OutboxConfig) -> Self {
        let table = outbox.table.quoted();
        let column = outbox.timestamp_column.quoted();
        OutboxQueries {
            table: outbox.table.to_string(),
            oldest_age: format!("SELECT EXTRACT(EPOCH FROM now() - min({column}))::float8 FROM {table}"),
            unpublished: format!(
                "SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {column} >= $1 LIMIT $2) AS capped"
            ),
            table_sql: table,
            timestamp_column: outbox.timestamp_column.name().to_owned(),
            published_topics: outbox.published_topics.clone(),
            captured_as: outbox.table.debezium_name(),
            cap: i64::try_from(outbox.count_cap).unwrap_or(i64::MAX),
        }
    }

    /// `count(*)` of at most `$1` rows: cost bounded by the cap, not the table. Ordered by an
    /// indexed column when there is one, so the planner walks that index (an Index Only Scan,
    /// with heap fetches until VACUUM sets the visibility map) instead of a Seq Scan, and reads
    /// the index alone once vacuumed. Never ordered without an index: the sort would read the
    /// whole table.
    pub fn count(&self, indexed_column: Option<&str>) -> String {
        let order = indexed_column.map(|column| format!(" ORDER BY {}", quote_identifier(column))).unwrap_or_default();
        format!("SELECT count(*) FROM (SELECT 1 FROM {}{order} LIMIT $1) AS capped", self.table_sql)
    }
}

/// What one poll saw of one database.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatabaseState {
    /// The current WAL position (on a standby: last received, else last replayed).
    pub current_lsn: u64,
    /// `max_slot_wal_keep_size` in bytes, -1 for unlimited; `None` before PostgreSQL 13.
    pub max_slot_wal_keep_size_bytes: Option<f64>,
    pub slots: Vec<Slot>,
    pub outbox: Vec<OutboxState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub name: String,
    /// `logical` or `physical`.
    pub slot_type: String,
    /// Output plugin; empty for physical slots.
    pub plugin: String,
    /// Database of a logical slot; empty for physical slots.
    pub database: String,
    pub active: bool,
    pub restart_lsn: Option<u64>,
    pub confirmed_flush_lsn: Option<u64>,
    /// `reserved`, `extended`, `unreserved` or `lost`; `None` before 13.
    pub wal_status: Option<String>,
    pub safe_wal_size_bytes: Option<i64>,
    /// 0 while active.
    pub inactive_seconds: f64,
}

impl Slot {
    /// The position the consumer has confirmed: `confirmed_flush_lsn` for logical slots,
    /// `restart_lsn` for physical ones.
    fn confirmed_lsn(&self) -> Option<u64> {
        if self.slot_type == "logical" { self.confirmed_flush_lsn } else { self.restart_lsn }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxState {
    pub table: String,
    /// Counted up to the cap.
    pub rows: u64,
    /// `None` when the table is empty.
    pub oldest_age_seconds: Option<f64>,
    /// Rows newer than the newest published event, up to the cap; `None` when not known.
    pub unpublished: Option<u64>,
}

impl DatabaseState {
    fn lag_bytes(&self, lsn: Option<u64>) -> Option<f64> {
        // A standby's receive position can trail a slot synced from elsewhere: never negative.
        lsn.map(|lsn| self.current_lsn.saturating_sub(lsn) as f64)
    }
}

/// The Debezium connector that reads this slot, or "".
fn claiming_connector<'a>(facts: &'a Facts, slot: &Slot) -> Option<&'a str> {
    facts
        .debezium_connectors
        .iter()
        .find(|connector| connector.slot == slot.name && connector.database == slot.database)
        .map(|connector| connector.connector.as_str())
}

impl Observation for DatabaseState {
    fn render(&self, db: &str, facts: &Facts, out: &mut Samples) {
        out.push(&catalog::WAL_CURRENT_LSN_BYTES, [db], self.current_lsn as f64);
        if let Some(bytes) = self.max_slot_wal_keep_size_bytes {
            out.push(&catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES, [db], bytes);
        }
        for slot in &self.slots {
            let connector = claiming_connector(facts, slot);
            let labels = [db, &slot.name, &slot.slot_type, &slot.plugin, connector.unwrap_or_default()];
            if let Some(lag) = self.lag_bytes(slot.confirmed_lsn()) {
                out.push(&catalog::REPLICATION_SLOT_LAG_BYTES, labels, lag);
            }
            if let Some(retained) = self.lag_bytes(slot.restart_lsn) {
                out.push(&catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES, labels, retained);
            }
            out.push(&catalog::REPLICATION_SLOT_ACTIVE, labels, if slot.active { 1.0 } else { 0.0 });
            out.push(&catalog::REPLICATION_SLOT_INACTIVE_SECONDS, labels, slot.inactive_seconds);
            if let Some(current) = &slot.wal_status {
                for status in WAL_STATUSES {
                    let [db, name, slot_type, plugin, connector] = labels;
                    out.push(
                        &catalog::REPLICATION_SLOT_WAL_STATUS,
                        [db, name, slot_type, plugin, connector, status],
                        if current == status { 1.0 } else { 0.0 },
                    );
                }
            }
            if let Some(safe) = slot.safe_wal_size_bytes {
                out.push(&catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES, labels, safe as f64);
            }
            if facts.connect_configured && slot.slot_type == "logical" {
                out.push(
                    &catalog::REPLICATION_SLOT_ORPHANED,
                    [db, &slot.name],
                    if connector.is_none() { 1.0 } else { 0.0 },
                );
            }
        }
        for outbox in &self.outbox {
            out.push(&catalog::OUTBOX_TABLE_ROWS, [db, &outbox.table], outbox.rows as f64);
            out.push(
                &catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS,
                [db, &outbox.table],
                outbox.oldest_age_seconds.unwrap_or(0.0),
            );
            if let Some(unpublished) = outbox.unpublished {
                out.push(&catalog::OUTBOX_UNPUBLISHED_EVENTS, [db, &outbox.table], unpublished as f64);
            }
        }
    }

    fn findings(&self, db: &str, facts: &Facts) -> Vec<Finding> {
        let mut findings = Vec::new();
        // The runbook's step 3c drops the slot; what that costs must be said before anyone does.
        let before_dropping = "Do not drop the slot yet (runbook step 3c): dropping it discards the connector's position, \
             and changes written meanwhile come back only through a new snapshot";
        for slot in self.slots.iter().filter(|slot| slot.slot_type == "logical") {
            let connector = claiming_connector(facts, slot);
            let subject = match connector {
                Some(connector) => format!("postgres {db} / slot {} (connector {connector})", slot.name),
                None => format!("postgres {db} / slot {}", slot.name),
            };
            let retained = self.lag_bytes(slot.restart_lsn).map(human_bytes).unwrap_or_else(|| "no".to_owned());
            let wal_status = slot.wal_status.as_deref().unwrap_or("unknown");
            if wal_status == "lost" {
                findings.push(Finding {
                    severity: Severity::Critical,
                    subject,
                    problem: "the slot is lost: the WAL it needed is gone and Debezium cannot resume from it"
                        .to_owned(),
                    runbook: Anchor::S1Reset.id(),
                    actions: vec![
                        "Re-snapshot (runbook step 3): register the connector under a new name, or stop it, \
                         DELETE its offsets and resume"
                            .to_owned(),
                    ],
                });
            } else if !slot.active {
                findings.push(Finding {
                    severity: if wal_status == "unreserved" { Severity::Critical } else { Severity::Warning },
                    subject,
                    problem: format!(
                        "the slot is inactive{} and retains {retained} of WAL (wal_status {wal_status})",
                        // Before PostgreSQL 17 only a running exporter can measure how long.
                        if slot.inactive_seconds > 0.0 {
                            format!(" for {:.0} s", slot.inactive_seconds)
                        } else {
                            String::new()
                        }
                    ),
                    runbook: Anchor::S1Reset.id(),
                    actions: vec![
                        match connector {
                            Some(connector) => format!(
                                "Find why connector {connector} does not stream: its state and its task's trace"
                            ),
                            None => "No configured connector claims this slot: find its owner".to_owned(),
                        },
                        before_dropping.to_owned(),
                    ],
                });
            } else if facts.connect_configured && connector.is_none() {
                findings.push(Finding {
                    severity: Severity::Warning,
                    subject,
                    problem: format!("no Debezium connector of the configured Connect clusters claims this slot; it retains {retained} of WAL"),
                    runbook: Anchor::S1Reset.id(),
                    actions: vec![before_dropping.to_owned()],
                });
            }
        }
        findings
    }

    fn summary(&self) -> Vec<StatusLine> {
        let mut lines = Vec::new();
        for slot in &self.slots {
            let lost = slot.wal_status.as_deref() == Some("lost");
            let state = match (&slot.wal_status, slot.active) {
                (Some(status), true) => format!("active, {status}"),
                (Some(status), false) => format!("inactive, {status}"),
                (None, true) => "active".to_owned(),
                (None, false) => "inactive".to_owned(),
            };
            let lag = self.lag_bytes(slot.confirmed_lsn()).map(|lag| format!("lag {}", human_bytes(lag)));
            let retained = self.lag_bytes(slot.restart_lsn).map(|bytes| format!("retains {}", human_bytes(bytes)));
            lines.push(StatusLine {
                subject: format!("slot {}", slot.name),
                state,
                healthy: slot.active && !lost,
                detail: Some([lag, retained].into_iter().flatten().collect::<Vec<_>>().join(", ")),
            });
        }
        for outbox in &self.outbox {
            lines.push(StatusLine {
                subject: format!("outbox {}", outbox.table),
                state: format!("{} rows", outbox.rows),
                healthy: true,
                detail: outbox.oldest_age_seconds.map(|age| format!("oldest event {age:.0} s old")),
            });
        }
        lines
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{value:.0} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Measures how long slots have been inactive on servers that do not say (before 17).
#[derive(Debug, Default)]
pub struct InactivityClock {
    inactive_since: HashMap<String, Instant>,
}

impl InactivityClock {
    /// Seconds the slot has been seen inactive; 0 while active. `reported` is the server's own
    /// figure (17+), which wins when present.
    pub fn observe(&mut self, slot: &str, active: bool, reported: Option<f64>, now: Instant) -> f64 {
        if active {
            self.inactive_since.remove(slot);
            return 0.0;
        }
        if let Some(seconds) = reported {
            return seconds.max(0.0);
        }
        let since = *self.inactive_since.entry(slot.to_owned()).or_insert(now);
        now.duration_since(since).as_secs_f64()
    }

    /// Forgets slots that were dropped, so a re-created one starts from 0.
    pub fn retain(&mut self, present: &[Slot]) {
        self.inactive_since.retain(|name, _| present.iter().any(|slot| &slot.name == name));
    }
}

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

/// One session and its prepared statements: each is parsed once per connection instead of on
/// every poll (the server's plan cache decides when to plan it again).
struct Connection {
    client: Client,
    version_num: i32,
    in_recovery: bool,
    /// For the current role; prepared again when it changes.
    wal: Statement,
    slots: Statement,
    indexed_column: Statement,
    /// Beside `PostgresSource::outbox`; prepared on first use, so a table created later is
    /// picked up and a missing one fails the poll, not the connection.
    outbox: Vec<OutboxStatements>,
}

#[derive(Default)]
struct OutboxStatements {
    /// The count and the column it is ordered by.
    count: Option<(Option<String>, Statement)>,
    oldest_age: Option<Statement>,
    unpublished: Option<Statement>,
}

/// The statement in `cache`, prepared on first use.
async fn prepared(
    client: &Client,
    cache: &mut Option<Statement>,
    sql: &str,
) -> Result<Statement, tokio_postgres::Error> {
    if let Some(statement) = cache {
        return Ok(statement.clone());
    }
    let statement = client.prepare(sql).await?;
    *cache = Some(statement.clone());
    Ok(statement)
}

#[derive(Default)]
struct Session {
    connection: Option<Connection>,
    backoff: Backoff,
    clock: InactivityClock,
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
    dsn: PostgresDsn,
    password_file: Option<PathBuf>,
    sslmode: SslMode,
    ca_file: Option<PathBuf>,
    timeout: Duration,
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
            dsn: config.dsn.clone(),
            password_file: config.password_file.clone(),
            sslmode: config.sslmode(),
            ca_file: config.ca_file().cloned(),
            timeout,
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

    async fn connect(&self) -> Result<Connection, PollError> {
        let mut config = self.dsn.config.clone();
        if let Some(file) = &self.password_file {
            // Read again on every reconnect (rotation); a file swapped for a FIFO must not hang
            // the poll, nor a huge one fill memory.
            let password = crate::config::read_small_text(file)
                .map_err(|error| PollError::new(ErrorReason::Connect, format!("password_file: {error}")))?;
            config.password(password.trim_end_matches(['\r', '\n']));
        }
        let wire_mode = tls::wire_mode(self.sslmode, config.get_hosts());
        // Keepalives let the kernel notice a peer that vanished between polls, too.
        config
            .application_name(APPLICATION_NAME)
            .connect_timeout(self.timeout)
            .ssl_mode(wire_mode)
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_IDLE / 3)
            .keepalives_retries(3);
        let tls = tls::connector(self.sslmode, self.ca_file.as_deref())
            .map_err(|message| PollError::new(ErrorReason::Connect, message))?;
        let (client, connection) = config.connect(tls).await.map_err(|error| {
            PollError::new(ErrorReason::Connect, format!("cannot connect to {}: {}", self.dsn, describe(&error)))
        })?;
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(db, "PostgreSQL connection ended: {}", describe(&error));
            }
        });
        client
            .batch_execute(&format!(
                "SET application_name = '{APPLICATION_NAME}'; SET default_transaction_read_only = on; \
                 SET statement_timeout = {}",
                self.timeout.as_millis().max(1)
            ))
            .await
            .map_err(query_error)?;
        let row = client
            .query_one("SELECT current_setting('server_version_num')::int, pg_is_in_recovery()", &[])
            .await
            .map_err(query_error)?;
        let server = Server {
            version_num: row.try_get(0).map_err(query_error)?,
            in_recovery: row.try_get(1).map_err(query_error)?,
        };
        let plan = plan(server).map_err(|message| PollError::new(ErrorReason::Query, message))?;
        let wal = client.prepare(&plan.wal).await.map_err(query_error)?;
        let slots = client.prepare(&plan.slots).await.map_err(query_error)?;
        let indexed_column = client.prepare(INDEXED_COLUMN).await.map_err(query_error)?;
        tracing::info!(db = %self.db, version_num = server.version_num, standby = server.in_recovery, "connected to {}", self.dsn);
        Ok(Connection {
            client,
            version_num: server.version_num,
            in_recovery: server.in_recovery,
            wal,
            slots,
            indexed_column,
            outbox: self.outbox.iter().map(|_| OutboxStatements::default()).collect(),
        })
    }

    async fn observe(
        &self,
        connection: &mut Connection,
        clock: &mut InactivityClock,
    ) -> Result<DatabaseState, PollError> {
        // Slots before the LSN: a consumer confirming in between then still shows lag ≥ 0.
        let rows = connection.client.query(&connection.slots, &[]).await.map_err(query_error)?;
        let now = Instant::now();
        let mut slots = Vec::with_capacity(rows.len());
        for row in rows {
            let get_lsn = |index| row.try_get::<_, Option<PgLsn>>(index).map(|lsn| lsn.map(u64::from));
            let name: String = row.try_get(0).map_err(query_error)?;
            let active: bool = row.try_get(4).map_err(query_error)?;
            let reported_inactive: Option<f64> = row.try_get(9).map_err(query_error)?;
            slots.push(Slot {
                inactive_seconds: clock.observe(&name, active, reported_inactive, now),
                name,
                slot_type: row.try_get(1).map_err(query_error)?,
                plugin: row.try_get::<_, Option<String>>(2).map_err(query_error)?.unwrap_or_default(),
                database: row.try_get::<_, Option<String>>(3).map_err(query_error)?.unwrap_or_default(),
                active,
                restart_lsn: get_lsn(5).map_err(query_error)?,
                confirmed_flush_lsn: get_lsn(6).map_err(query_error)?,
                wal_status: row.try_get(7).map_err(query_error)?,
                safe_wal_size_bytes: row.try_get(8).map_err(query_error)?,
            });
        }
        clock.retain(&slots);

        let mut wal = connection.client.query_one(&connection.wal, &[]).await.map_err(query_error)?;
        let in_recovery: bool = wal.try_get(0).map_err(query_error)?;
        if in_recovery != connection.in_recovery {
            tracing::info!(db = %self.db, standby = in_recovery, "server role changed; switching queries");
            let plan = plan(Server { version_num: connection.version_num, in_recovery })
                .map_err(|message| PollError::new(ErrorReason::Query, message))?;
            connection.wal = connection.client.prepare(&plan.wal).await.map_err(query_error)?;
            connection.slots = connection.client.prepare(&plan.slots).await.map_err(query_error)?;
            connection.in_recovery = in_recovery;
            wal = connection.client.query_one(&connection.wal, &[]).await.map_err(query_error)?;
        }
        let current_lsn: Option<PgLsn> = wal.try_get(1).map_err(query_error)?;
        let current_lsn = current_lsn
            .ok_or_else(|| PollError::new(ErrorReason::Query, "the server reports no current WAL position"))?;

        let client = &connection.client;
        let indexed_column = &connection.indexed_column;
        let outbox = futures::future::try_join_all(self.outbox.iter().zip(connection.outbox.iter_mut()).map(
            |(queries, statements)| async move {
                let observed = self.observe_outbox(client, indexed_column, queries, statements).await;
                if observed.is_err() {
                    // The table may have changed under the statements: prepare them again.
                    *statements = OutboxStatements::default();
                }
                observed.map_err(|error| {
                    PollError::new(error.reason, format!("outbox {}: {}", queries.table, error.message))
                })
            },
        ))
        .await?;

        Ok(DatabaseState {
            current_lsn: current_lsn.into(),
            max_slot_wal_keep_size_bytes: wal.try_get(2).map_err(query_error)?,
            slots,
            outbox,
        })
    }

    /// One outbox table's figures, its statements prepared on first use.
    async fn observe_outbox(
        &self,
        client: &Client,
        indexed_column: &Statement,
        queries: &OutboxQueries,
        statements: &mut OutboxStatements,
    ) -> Result<OutboxState, PollError> {
        let ordered_by: Option<String> = client
            .query_opt(indexed_column, &[&queries.table_sql, &queries.timestamp_column])
            .await
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(query_error)?;
        let count = match &statements.count {
            Some((column, statement)) if *column == ordered_by => statement.clone(),
            _ => {
                let statement = client.prepare(&queries.count(ordered_by.as_deref())).await.map_err(query_error)?;
                statements.count = Some((ordered_by, statement.clone()));
                statement
            }
        };
        let rows: i64 =
            client.query_one(&count, &[&queries.cap]).await.and_then(|row| row.try_get(0)).map_err(query_error)?;
        let oldest_age =
            prepared(client, &mut statements.oldest_age, &queries.oldest_age).await.map_err(query_error)?;
        let oldest_age_seconds: Option<f64> =
            client.query_one(&oldest_age, &[]).await.and_then(|row| row.try_get(0)).map_err(query_error)?;
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
        let since = match self.published.newest(topics) {
            Some(Newest::At(newest)) => Some(newest + Duration::from_millis(1)),
            Some(Newest::Nothing) => Some(std::time::SystemTime::UNIX_EPOCH),
            None => None,
        };
        let unpublished: Option<i64> = match since {
            Some(since) => {
                let unpublished =
                    prepared(client, &mut statements.unpublished, &queries.unpublished).await.map_err(query_error)?;
                Some(
                    client
                        .query_one(&unpublished, &[&since, &queries.cap])
                        .await
                        .and_then(|row| row.try_get(0))
                        .map_err(query_error)?,
                )
            }
            None => None,
        };
        Ok(OutboxState {
            table: queries.table.clone(),
            rows: rows.max(0) as u64,
            oldest_age_seconds: oldest_age_seconds.map(|age| age.max(0.0)),
            unpublished: unpublished.map(|count| count.max(0) as u64),
        })
    }
}

/// A tokio-postgres error as one line: the server's message and SQLSTATE when there is one.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code()),
        None => error_chain(error),
    }
}

fn query_error(error: tokio_postgres::Error) -> PollError {
    let reason = if error.is_closed() {
        ErrorReason::Connect
    } else if error.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED) {
        // statement_timeout fired.
        ErrorReason::Timeout
    } else {
        ErrorReason::Query
    };
    PollError::new(reason, describe(&error))
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
        if std::mem::replace(&mut session.polling, true) && session.connection.take().is_some() {
            tracing::debug!(db = %self.db, "the last poll timed out: reconnecting");
        }
        let observed = self.poll_session(&mut session).await;
        session.polling = false;
        observed
    }
}

impl PostgresSource {
    async fn poll_session(&self, session: &mut Session) -> Result<Arc<dyn Observation>, PollError> {
        let Session { connection: slot, backoff, clock, .. } = session;
        if slot.as_ref().is_some_and(|connection| connection.client.is_closed()) {
            *slot = None;
        }
        if slot.is_none() {
            backoff.check(Instant::now())?;
            match self.connect().await {
                Ok(connection) => {
                    *backoff = Backoff::default();
                    *slot = Some(connection);
                }
                Err(error) => {
                    backoff.failed(Instant::now(), &error, self.retry_cap);
                    return Err(error);
                }
            }
        }
        let connection = slot.as_mut().expect("connected just above");
        let observed = self.observe(connection, clock).await;
        if connection.client.is_closed() {
            *slot = None;
        }
        Ok(Arc::new(observed?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::join::DebeziumConnector;

    fn server(version_num: i32, in_recovery: bool) -> QueryPlan {
        plan(Server { version_num, in_recovery }).unwrap()
    }

    #[test]
    fn queries_follow_the_version_and_role() {
        let error = plan(Server { version_num: 90_624, in_recovery: false }).unwrap_err();
        assert!(error.contains("PostgreSQL 9 is not supported"), "{error}");

        for version_num in [100_023, 110_022, 120_020] {
            let plan = server(version_num, false);
            assert!(plan.wal.contains("pg_current_wal_lsn()"));
            assert!(plan.wal.ends_with("NULL::float8"), "{}", plan.wal);
            assert!(plan.slots.contains("NULL::text, NULL::bigint"), "no wal_status before 13");
            assert!(!plan.slots.contains("inactive_since"));
        }
        for version_num in [130_016, 140_013, 150_008, 160_004] {
            let plan = server(version_num, false);
            assert!(plan.wal.contains("max_slot_wal_keep_size"));
            assert!(plan.slots.contains("wal_status, safe_wal_size"));
            assert!(!plan.slots.contains("inactive_since"), "inactive_since is 17+");
        }
        let plan = server(170_000, false);
        assert!(plan.slots.contains("now() - inactive_since"));

        let standby = server(150_008, true);
        assert!(!standby.wal.contains("pg_current_wal_lsn"), "a standby has no current WAL LSN");
        assert!(standby.wal.contains("COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"));
        assert_eq!(standby.slots, server(150_008, false).slots);
    }

    #[test]
    fn outbox_queries_quote_every_name_and_bound_the_count() {
        let yaml = "sources:\n  postgres:\n    - dsn: host=h dbname=d\n      outbox:\n        - table: '\"Sales\".Outbox'\n          timestamp_column: '\"Created At\"'\n          count_cap: 5000\n";
        let config = Config::from_yaml(yaml).unwrap();
        let queries = OutboxQueries::new(&config.sources.postgres[0].outbox[0]);
        assert_eq!(queries.table, "Sales.outbox");
        assert_eq!(queries.count(None), "SELECT count(*) FROM (SELECT 1 FROM \"Sales\".\"outbox\" LIMIT $1) AS capped");
        assert_eq!(
            queries.count(Some("Created At")),
            "SELECT count(*) FROM (SELECT 1 FROM \"Sales\".\"outbox\" ORDER BY \"Created At\" LIMIT $1) AS capped",
            "walks the index"
        );
        assert_eq!(
            (queries.table_sql.as_str(), queries.timestamp_column.as_str()),
            ("\"Sales\".\"outbox\"", "Created At")
        );
        assert_eq!(
            queries.oldest_age,
            "SELECT EXTRACT(EPOCH FROM now() - min(\"Created At\"))::float8 FROM \"Sales\".\"outbox\""
        );
        assert_eq!(queries.cap, 5000);
        assert_eq!(
            queries.unpublished,
            "SELECT count(*) FROM (SELECT 1 FROM \"Sales\".\"outbox\" WHERE \"Created At\" >= $1 LIMIT $2) AS capped"
        );
    }

    fn slot(name: &str, active: bool) -> Slot {
        Slot {
            name: name.to_owned(),
            slot_type: "logical".to_owned(),
            plugin: "pgoutput".to_owned(),
            database: "inventory".to_owned(),
            active,
            restart_lsn: Some(1_000),
            confirmed_flush_lsn: Some(4_000),
            wal_status: Some("extended".to_owned()),
            safe_wal_size_bytes: None,
            inactive_seconds: if active { 0.0 } else { 42.0 },
        }
    }

    fn values(samples: &Samples, metric: &'static catalog::Metric) -> Vec<(Vec<String>, f64)> {
        samples.get(metric).to_vec()
    }

    fn labels(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    #[test]
    fn slots_render_lag_retention_status_and_the_connector_join() {
        let mut physical = slot("standby_1", true);
        physical.slot_type = "physical".to_owned();
        physical.plugin = String::new();
        physical.database = String::new();
        physical.confirmed_flush_lsn = None;
        physical.restart_lsn = Some(9_000);
        let state = DatabaseState {
            current_lsn: 10_000,
            max_slot_wal_keep_size_bytes: Some(-1.0),
            slots: vec![slot("debezium", false), slot("forgotten", false), physical],
            outbox: vec![OutboxState {
                table: "public.outbox".to_owned(),
                rows: 7,
                oldest_age_seconds: None,
                unpublished: Some(3),
            }],
        };
        let facts = Facts {
            connect_configured: true,
            debezium_connectors: vec![DebeziumConnector {
                cluster: "c".to_owned(),
                connector: "inventory-connector".to_owned(),
                running: true,
                database: "inventory".to_owned(),
                slot: "debezium".to_owned(),
                topic_prefix: "dbz".to_owned(),
            }],
            ..Facts::default()
        };
        let mut out = Samples::default();
        state.render("inventory", &facts, &mut out);

        let lag = values(&out, &catalog::REPLICATION_SLOT_LAG_BYTES);
        assert_eq!(lag[0], (labels(&["inventory", "debezium", "logical", "pgoutput", "inventory-connector"]), 6_000.0));
        assert_eq!(lag[1], (labels(&["inventory", "forgotten", "logical", "pgoutput", ""]), 6_000.0));
        assert_eq!(lag[2], (labels(&["inventory", "standby_1", "physical", "", ""]), 1_000.0), "physical: restart_lsn");
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_RETAINED_WAL_BYTES)[0].1, 9_000.0);
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_INACTIVE_SECONDS)[0].1, 42.0);
        let status = values(&out, &catalog::REPLICATION_SLOT_WAL_STATUS);
        assert_eq!(status.len(), 12);
        let current: Vec<&str> = status.iter().filter(|(_, value)| *value == 1.0).map(|(l, _)| l[5].as_str()).collect();
        assert_eq!(current, ["extended"; 3]);
        assert!(values(&out, &catalog::REPLICATION_SLOT_SAFE_WAL_SIZE_BYTES).is_empty(), "NULL is omitted");
        assert_eq!(
            values(&out, &catalog::REPLICATION_SLOT_ORPHANED),
            [(labels(&["inventory", "debezium"]), 0.0), (labels(&["inventory", "forgotten"]), 1.0)],
            "physical slots are never orphaned"
        );
        assert_eq!(values(&out, &catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES)[0].1, -1.0);
        assert_eq!(values(&out, &catalog::WAL_CURRENT_LSN_BYTES)[0].1, 10_000.0);
        assert_eq!(values(&out, &catalog::OUTBOX_TABLE_ROWS), [(labels(&["inventory", "public.outbox"]), 7.0)]);
        assert_eq!(values(&out, &catalog::OUTBOX_OLDEST_EVENT_AGE_SECONDS)[0].1, 0.0, "empty table: age 0");

        // Without Connect there is nobody to claim a slot: no orphan series at all.
        let mut out = Samples::default();
        state.render("inventory", &Facts::default(), &mut out);
        assert!(values(&out, &catalog::REPLICATION_SLOT_ORPHANED).is_empty());
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_LAG_BYTES)[0].0[4], "");
    }

    #[test]
    fn lag_is_never_negative_and_old_servers_have_no_status() {
        let mut ahead = slot("ahead", true);
        ahead.wal_status = None;
        ahead.confirmed_flush_lsn = Some(20_000);
        let state = DatabaseState { current_lsn: 10_000, slots: vec![ahead], ..DatabaseState::default() };
        let mut out = Samples::default();
        state.render("db", &Facts::default(), &mut out);
        assert_eq!(values(&out, &catalog::REPLICATION_SLOT_LAG_BYTES)[0].1, 0.0);
        assert!(values(&out, &catalog::REPLICATION_SLOT_WAL_STATUS).is_empty());
        assert!(values(&out, &catalog::SETTINGS_MAX_SLOT_WAL_KEEP_SIZE_BYTES).is_empty());
    }

    #[test]
    fn inactivity_is_measured_when_the_server_does_not_say() {
        let mut clock = InactivityClock::default();
        let start = Instant::now();
        assert_eq!(clock.observe("s", true, None, start), 0.0);
        assert_eq!(clock.observe("s", false, None, start + Duration::from_secs(10)), 0.0);
        assert_eq!(clock.observe("s", false, None, start + Duration::from_secs(25)), 15.0);
        assert_eq!(clock.observe("s", false, Some(300.0), start + Duration::from_secs(25)), 300.0, "17+ wins");
        assert_eq!(clock.observe("s", true, None, start + Duration::from_secs(30)), 0.0);
        assert_eq!(
            clock.observe("s", false, None, start + Duration::from_secs(40)),
            0.0,
            "restarts when inactive again"
        );
        clock.retain(&[]);
        assert_eq!(
            clock.observe("s", false, None, start + Duration::from_secs(50)),
            0.0,
            "dropped slots are forgotten"
        );
    }

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
