//! Everything that can fail while polling one database, as one type; [`PostgresError::reason`]
//! gives the bounded `reason` label and the `Source` boundary turns it into a [`PollError`].
//!
//! Each message is one self-contained line (it becomes the poll's `last_error` on the landing
//! page and in the log), so the tokio-postgres error is described inside it rather than chained
//! as a `source()`. No message carries a password: the DSN is shown redacted.

use std::path::PathBuf;

use tokio_postgres::error::SqlState;

use crate::catalog::ErrorReason;
use crate::config::SslMode;
use crate::source::PollError;
use crate::text::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The password file could not be read (checked again on every reconnect, for rotation).
    #[error("password_file: {0}")]
    PasswordFile(String),
    /// The CA file could not be read as a file (the message names it).
    #[error("{0}")]
    CaFileUnreadable(String),
    /// The CA file was read but holds no usable certificate.
    #[error("cannot read {}: {why}", path.display())]
    CaFileInvalid { path: PathBuf, why: String },
    /// rustls refused the CA certificates as trust anchors.
    #[error("ca_file: {0}")]
    CaFileRefused(rustls::server::VerifierBuilderError),
    #[error("sslmode {0} needs a CA file (ca_file, or sslrootcert in the DSN)")]
    CaFileMissing(SslMode),
    /// rustls could not build a client configuration.
    #[error("{0}")]
    Tls(rustls::Error),
    /// The connection or its handshake failed; `dsn` is shown without the password.
    #[error("cannot connect to {dsn}: {}", describe(.error))]
    Connect { dsn: String, error: tokio_postgres::Error },
    /// A statement failed, or its answer could not be read.
    #[error("{}", describe(.0))]
    Query(tokio_postgres::Error),
    #[error("PostgreSQL {} is not supported: replication slot queries need 10 or later", .version_num / 10_000)]
    Unsupported { version_num: i32 },
    #[error("the server reports no current WAL position")]
    NoCurrentWalPosition,
    /// One outbox table's queries failed.
    #[error("outbox {table}: {error}")]
    Outbox { table: String, error: Box<PostgresError> },
}

impl PostgresError {
    /// The `reason` label of `debezium_exporter_poll_errors_total`.
    pub fn reason(&self) -> ErrorReason {
        match self {
            PostgresError::PasswordFile(_)
            | PostgresError::CaFileUnreadable(_)
            | PostgresError::CaFileInvalid { .. }
            | PostgresError::CaFileRefused(_)
            | PostgresError::CaFileMissing(_)
            | PostgresError::Tls(_)
            | PostgresError::Connect { .. } => ErrorReason::Connect,
            PostgresError::Query(error) if error.is_closed() => ErrorReason::Connect,
            // statement_timeout fired.
            PostgresError::Query(error) if error.code() == Some(&SqlState::QUERY_CANCELED) => ErrorReason::Timeout,
            PostgresError::Query(_) | PostgresError::Unsupported { .. } | PostgresError::NoCurrentWalPosition => {
                ErrorReason::Query
            }
            PostgresError::Outbox { error, .. } => error.reason(),
        }
    }
}

impl From<tokio_postgres::Error> for PostgresError {
    fn from(error: tokio_postgres::Error) -> Self {
        PostgresError::Query(error)
    }
}

impl From<PostgresError> for PollError {
    fn from(error: PostgresError) -> Self {
        PollError::new(error.reason(), error.to_string())
    }
}

/// A tokio-postgres error as one line: the server's message and SQLSTATE when there is one.
pub fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code()),
        None => error_chain(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_reasons_stay_what_the_poll_reported() {
        let unsupported = PostgresError::Unsupported { version_num: 90_624 };
        assert_eq!(unsupported.to_string(), "PostgreSQL 9 is not supported: replication slot queries need 10 or later");
        assert_eq!(unsupported.reason(), ErrorReason::Query);
        let outbox = PostgresError::Outbox {
            table: "public.outbox".to_owned(),
            error: Box::new(PostgresError::PasswordFile("cannot read /run/pw: gone".to_owned())),
        };
        let polled = PollError::from(outbox);
        assert_eq!(polled.message, "outbox public.outbox: password_file: cannot read /run/pw: gone");
        assert_eq!(polled.reason, ErrorReason::Connect, "an outbox error keeps its cause's reason");
        let missing = PostgresError::CaFileMissing(SslMode::VerifyFull);
        assert_eq!(missing.to_string(), "sslmode verify-full needs a CA file (ca_file, or sslrootcert in the DSN)");
        assert_eq!(PostgresError::NoCurrentWalPosition.reason(), ErrorReason::Query);
    }
}
