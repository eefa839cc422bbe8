//! The only place that speaks PostgreSQL: the session, and every statement the source sends
//! beside the code that reads its rows, by column name. Every computed column is aliased, so
//! its name does not depend on the server version (`EXTRACT` is named `date_part` before 14)
//! or on the role (`coalesce` on a standby).
//!
//! Statements are prepared once per connection instead of on every poll (the server's plan
//! cache decides when to plan one again); the outbox ones on first use, so a table created
//! later is picked up and a missing one fails the poll, not the connection.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio_postgres::types::PgLsn;
use tokio_postgres::{Client, Row, Statement};

use super::error::{PostgresError, describe};
use super::tls;
use crate::config::{NamePattern, OutboxConfig, PostgresDsn, SslMode, quote_identifier};

/// Shown in `pg_stat_activity.application_name`, so DBAs can tell who is asking.
pub const APPLICATION_NAME: &str = "debezium-exporter";

/// The oldest PostgreSQL with `pg_current_wal_lsn()` and `confirmed_flush_lsn`.
pub const MIN_VERSION_NUM: i32 = 100_000;

/// Idle time before the kernel probes the connection (then every third of it, three times).
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

/// Read once per connection: what [`plan`] depends on.
const VERSION: &str = "SELECT current_setting('server_version_num')::int AS server_version_num, pg_is_in_recovery()";

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
    /// One row, read by `WalRow::read`.
    pub wal: String,
    /// One row per slot, read by `SlotRow::read`.
    pub slots: String,
}

/// Chooses the queries for a server version and role. Pure, so every version is tested
/// without running it: 13 added `wal_status`, `safe_wal_size` and `max_slot_wal_keep_size`;
/// 17 added `inactive_since`; a standby has no `pg_current_wal_lsn()`.
pub fn plan(server: Server) -> Result<QueryPlan, PostgresError> {
    if server.version_num < MIN_VERSION_NUM {
        return Err(PostgresError::Unsupported { version_num: server.version_num });
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
    let wal_status =
        if since_13 { "wal_status, safe_wal_size" } else { "NULL::text AS wal_status, NULL::bigint AS safe_wal_size" };
    let inactive = if since_17 { "EXTRACT(EPOCH FROM now() - inactive_since)::float8" } else { "NULL::float8" };
    Ok(QueryPlan {
        wal: format!(
            "SELECT pg_is_in_recovery(), {current_lsn} AS current_lsn, \
             {max_slot_wal_keep_size} AS max_slot_wal_keep_size_bytes"
        ),
        slots: format!(
            "SELECT slot_name::text, slot_type, plugin::text, database::text, active, active_pid, restart_lsn, \
             confirmed_flush_lsn, {wal_status}, {inactive} AS inactive_seconds, \
             (SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = database) \
             AS database_changes FROM pg_replication_slots ORDER BY slot_name"
        ),
    })
}

/// A row of [`QueryPlan::wal`].
#[derive(Debug, Clone, PartialEq)]
pub struct WalRow {
    pub in_recovery: bool,
    /// On a standby: last received, else last replayed; NULL when neither is known.
    pub current_lsn: Option<u64>,
    /// In bytes, -1 for unlimited; NULL before PostgreSQL 13.
    pub max_slot_wal_keep_size_bytes: Option<f64>,
}

impl WalRow {
    fn read(row: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(WalRow {
            in_recovery: row.try_get("pg_is_in_recovery")?,
            current_lsn: row.try_get::<_, Option<PgLsn>>("current_lsn")?.map(u64::from),
            max_slot_wal_keep_size_bytes: row.try_get("max_slot_wal_keep_size_bytes")?,
        })
    }
}

/// A row of [`QueryPlan::slots`]: one replication slot as the server reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotRow {
    pub name: String,
    /// `logical` or `physical`.
    pub slot_type: String,
    /// NULL for physical slots.
    pub plugin: Option<String>,
    /// NULL for physical slots.
    pub database: Option<String>,
    pub active: bool,
    /// The process holding the slot; NULL while inactive.
    pub active_pid: Option<i32>,
    pub restart_lsn: Option<u64>,
    pub confirmed_flush_lsn: Option<u64>,
    /// NULL before 13.
    pub wal_status: Option<String>,
    pub safe_wal_size: Option<i64>,
    /// Seconds since `inactive_since` (17+); NULL before 17 and while active.
    pub inactive_seconds: Option<f64>,
    /// The slot's database's own row changes so far (`pg_stat_database`); NULL for physical slots.
    pub database_changes: Option<i64>,
}

impl SlotRow {
    fn read(row: &Row) -> Result<Self, tokio_postgres::Error> {
        let lsn = |column| row.try_get::<_, Option<PgLsn>>(column).map(|lsn| lsn.map(u64::from));
        Ok(SlotRow {
            name: row.try_get("slot_name")?,
            slot_type: row.try_get("slot_type")?,
            plugin: row.try_get("plugin")?,
            database: row.try_get("database")?,
            active: row.try_get("active")?,
            active_pid: row.try_get("active_pid")?,
            restart_lsn: lsn("restart_lsn")?,
            confirmed_flush_lsn: lsn("confirmed_flush_lsn")?,
            wal_status: row.try_get("wal_status")?,
            safe_wal_size: row.try_get("safe_wal_size")?,
            inactive_seconds: row.try_get("inactive_seconds")?,
            database_changes: row.try_get("database_changes")?,
        })
    }
}

/// The leading column of a full, valid btree index of table `$1` (quoted SQL name), the
/// timestamp column `$2` first, then the primary key's: what the capped count can walk in order.
/// Left out, since `ORDER BY column` would sort the whole table instead of walking them:
/// expression and partial indexes, and indexes not in the column's plain ascending order
/// (another operator class such as `text_pattern_ops`, another collation, `DESC NULLS LAST`,
/// `NULLS FIRST`; indoption 3, `DESC` with its default `NULLS FIRST`, is walked backwards).
/// At most one row; its column is named `attname`.
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
    /// now − min(timestamp column), `oldest_age_seconds`: one index probe when the column is
    /// indexed.
    pub oldest_age: String,
    /// Rows at or after `$1`, at most `$2`, as `count`: an index range scan when the column is
    /// indexed.
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
            oldest_age: format!(
                "SELECT EXTRACT(EPOCH FROM now() - min({column}))::float8 AS oldest_age_seconds FROM {table}"
            ),
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

    /// `count(*)` of at most `$1` rows, as `count`: cost bounded by the cap, not the table.
    /// Ordered by an indexed column when there is one, so the planner walks that index (an
    /// Index Only Scan, with heap fetches until VACUUM sets the visibility map) instead of a
    /// Seq Scan, and reads the index alone once vacuumed. Never ordered without an index: the
    /// sort would read the whole table.
    pub fn count(&self, indexed_column: Option<&str>) -> String {
        let order = indexed_column.map(|column| format!(" ORDER BY {}", quote_identifier(column))).unwrap_or_default();
        format!("SELECT count(*) FROM (SELECT 1 FROM {}{order} LIMIT $1) AS capped", self.table_sql)
    }
}

/// One outbox table's figures as the server answers them.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Up to the cap.
    pub rows: i64,
    /// NULL when the table is empty.
    pub oldest_age_seconds: Option<f64>,
}

/// How to reach one database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub dsn: PostgresDsn,
    pub password_file: Option<PathBuf>,
    pub sslmode: SslMode,
    pub ca_file: Option<PathBuf>,
    /// The connect timeout and the session's `statement_timeout`.
    pub timeout: Duration,
}

/// One session and its prepared statements.
pub struct Connection {
    pub client: Client,
    version_num: i32,
    in_recovery: bool,
    /// For the current role; prepared again when it changes.
    wal: Statement,
    slots: Statement,
    pub indexed_column: Statement,
}

impl Connection {
    /// Opens a read-only session named [`APPLICATION_NAME`] whose `statement_timeout` is the
    /// poll timeout, and prepares the queries for the server's version and role. `db` names
    /// the target in logs.
    pub async fn open(options: &ConnectOptions, db: &str) -> Result<Connection, PostgresError> {
        let mut config = options.dsn.config.clone();
        if let Some(file) = &options.password_file {
            // Read again on every reconnect (rotation); a file swapped for a FIFO must not hang
            // the poll, nor a huge one fill memory.
            let password =
                crate::config::read_small_text(file).map_err(|error| PostgresError::PasswordFile(error.to_string()))?;
            config.password(password.trim_end_matches(['\r', '\n']));
        }
        let wire_mode = tls::wire_mode(options.sslmode, config.get_hosts());
        // Keepalives let the kernel notice a peer that vanished between polls, too.
        config
            .application_name(APPLICATION_NAME)
            .connect_timeout(options.timeout)
            .ssl_mode(wire_mode)
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_IDLE / 3)
            .keepalives_retries(3);
        let tls = tls::connector(options.sslmode, options.ca_file.as_deref())?;
        let (client, connection) = config
            .connect(tls)
            .await
            .map_err(|error| PostgresError::Connect { dsn: options.dsn.to_string(), error })?;
        let target = db.to_owned();
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(db = target, "PostgreSQL connection ended: {}", describe(&error));
            }
        });
        client
            .batch_execute(&format!(
                "SET application_name = '{APPLICATION_NAME}'; SET default_transaction_read_only = on; \
                 SET statement_timeout = {}",
                options.timeout.as_millis().max(1)
            ))
            .await?;
        let row = client.query_one(VERSION, &[]).await?;
        let server =
            Server { version_num: row.try_get("server_version_num")?, in_recovery: row.try_get("pg_is_in_recovery")? };
        let plan = plan(server)?;
        let wal = client.prepare(&plan.wal).await?;
        let slots = client.prepare(&plan.slots).await?;
        let indexed_column = client.prepare(INDEXED_COLUMN).await?;
        tracing::info!(
            db,
            version_num = server.version_num,
            standby = server.in_recovery,
            "connected to {}",
            options.dsn
        );
        Ok(Connection {
            client,
            version_num: server.version_num,
            in_recovery: server.in_recovery,
            wal,
            slots,
            indexed_column,
        })
    }

    /// Every replication slot, by name.
    pub async fn slots(&self) -> Result<Vec<SlotRow>, PostgresError> {
        let rows = self.client.query(&self.slots, &[]).await?;
        Ok(rows.iter().map(SlotRow::read).collect::<Result<_, _>>()?)
    }

    /// The WAL position and its limit. The role is checked on every poll, so a promotion (or
    /// a demotion) switches the queries and asks again.
    pub async fn wal(&mut self, db: &str) -> Result<WalRow, PostgresError> {
        let wal = WalRow::read(&self.client.query_one(&self.wal, &[]).await?)?;
        if wal.in_recovery == self.in_recovery {
            return Ok(wal);
        }
        tracing::info!(db, standby = wal.in_recovery, "server role changed; switching queries");
        let plan = plan(Server { version_num: self.version_num, in_recovery: wal.in_recovery })?;
        self.wal = self.client.prepare(&plan.wal).await?;
        self.slots = self.client.prepare(&plan.slots).await?;
        self.in_recovery = wal.in_recovery;
        Ok(WalRow::read(&self.client.query_one(&self.wal, &[]).await?)?)
    }
}

/// One outbox table's statements, prepared on first use on the connection they belong to.
#[derive(Default)]
pub struct OutboxStatements {
    /// The count and the column it is ordered by.
    count: Option<(Option<String>, Statement)>,
    oldest_age: Option<Statement>,
    unpublished: Option<Statement>,
}

impl OutboxStatements {
    /// The rows up to the cap, in the order of the index [`INDEXED_COLUMN`] finds now, and
    /// the age of the oldest.
    pub async fn figures(
        &mut self,
        client: &Client,
        indexed_column: &Statement,
        queries: &OutboxQueries,
    ) -> Result<OutboxRow, PostgresError> {
        let ordered_by: Option<String> = client
            .query_opt(indexed_column, &[&queries.table_sql, &queries.timestamp_column])
            .await?
            .map(|row| row.try_get("attname"))
            .transpose()?;
        let count = match &self.count {
            Some((column, statement)) if *column == ordered_by => statement.clone(),
            _ => {
                let statement = client.prepare(&queries.count(ordered_by.as_deref())).await?;
                self.count = Some((ordered_by, statement.clone()));
                statement
            }
        };
        let rows = client.query_one(&count, &[&queries.cap]).await?.try_get("count")?;
        let oldest_age = prepared(client, &mut self.oldest_age, &queries.oldest_age).await?;
        let oldest_age_seconds = client.query_one(&oldest_age, &[]).await?.try_get("oldest_age_seconds")?;
        Ok(OutboxRow { rows, oldest_age_seconds })
    }

    /// The rows at or after `since`, up to the cap.
    pub async fn unpublished(
        &mut self,
        client: &Client,
        queries: &OutboxQueries,
        since: SystemTime,
    ) -> Result<i64, PostgresError> {
        let unpublished = prepared(client, &mut self.unpublished, &queries.unpublished).await?;
        Ok(client.query_one(&unpublished, &[&since, &queries.cap]).await?.try_get("count")?)
    }
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

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
