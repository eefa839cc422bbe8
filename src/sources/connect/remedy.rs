//! What `check` tells a person to do about a FAILED task or connector, per cause, with this
//! pipeline's names filled in: the publication and its tables, the role, the slot and who
//! holds it (the PostgreSQL sources' view, through the joins).
//!
//! Every upstream string in a printed command is quoted twice over: as an SQL identifier or
//! literal inside the statement, and the statement as one shell word ([`shell_quote`]).

use super::model::{Connector, DebeziumConfig};
use crate::catalog::{FailureCause, Restart};
use crate::config::quote_identifier;
use crate::join::Facts;
use crate::text::shell_quote;

/// What one failure needs: the cause-specific steps, then whether and how to restart.
/// `restart` is the restart command for this connector, already quoted.
pub(super) fn actions(
    cause: FailureCause,
    connector: &Connector,
    cluster: &str,
    facts: &Facts,
    restart: &str,
) -> Vec<String> {
    let debezium = connector.debezium.as_ref();
    let mut actions = match debezium {
        Some(debezium) => fix(cause, connector, debezium, cluster, facts),
        None => vec![generic(cause).to_owned()],
    };
    actions.push(match cause.restart() {
        Restart::Helps => format!("A restart is all it takes once that is back (runbook step 2): curl -X POST {restart}"),
        Restart::AfterFix => {
            format!("Restart only after the fix; before it the task fails the same way (runbook step 2): curl -X POST {restart}")
        }
        Restart::Never => "A restart cannot help: the task fails the same way until the above is done".to_owned(),
    });
    actions
}

fn fix(
    cause: FailureCause,
    connector: &Connector,
    debezium: &DebeziumConfig,
    cluster: &str,
    facts: &Facts,
) -> Vec<String> {
    let database = &debezium.database;
    let slot = &debezium.slot;
    let user = debezium.user.as_deref();
    match cause {
        FailureCause::PublicationMissing => vec![format!(
            "Create the publication the connector expects, as its owner or a superuser: {}",
            psql(database, &create_publication(&debezium.publication, debezium.tables.as_deref()))
        )],
        FailureCause::ReplicationPermission => vec![format!(
            "Give the connector's role the REPLICATION attribute, as a superuser: {}",
            psql(
                database,
                &format!("ALTER ROLE {} REPLICATION", user.map_or("<database.user>".to_owned(), quote_identifier))
            )
        )],
        FailureCause::SlotInUse => slot_in_use(connector, debezium, cluster, facts),
        FailureCause::SlotMissing => vec![format!(
            "Replication slot {} is gone: Debezium creates it again on restart, but the changes made since it was \
             dropped were never read; take a new snapshot (runbook steps 3c and 3d)",
            shell_quote(slot)
        )],
        FailureCause::SlotInvalidated => {
            let seen = match facts.slot(database, slot).and_then(|held| held.wal_status.as_deref()) {
                Some(status) => format!(" (PostgreSQL reports its wal_status as {})", shell_quote(status)),
                None => String::new(),
            };
            vec![
                format!(
                    "Replication slot {} lost the WAL it needed{seen}: the changes in between are gone and only a new \
                     snapshot restores a complete stream",
                    shell_quote(slot)
                ),
                format!(
                    "Drop the lost slot (runbook step 3c): {}, then register the connector again under a new name, or \
                     reset its offsets while it is STOPPED, so it snapshots again (runbook step 3d)",
                    psql(database, &format!("SELECT pg_drop_replication_slot({})", quote_literal(slot)))
                ),
            ]
        }
        FailureCause::Authentication => vec![format!(
            "PostgreSQL refused the password of role {}: a rotated password or a pg_hba.conf change. Put the current \
             password in the connector's database.password (PUT its config), or check pg_hba.conf for the worker's address",
            user.map_or("<database.user>".to_owned(), shell_quote)
        )],
        _ => vec![generic(cause).to_owned()],
    }
}

/// Who holds the slot: the process PostgreSQL names, and any other connector configured
/// with the same slot.
fn slot_in_use(connector: &Connector, debezium: &DebeziumConfig, cluster: &str, facts: &Facts) -> Vec<String> {
    let (database, slot) = (&debezium.database, &debezium.slot);
    let mut actions = Vec::new();
    let sharing: Vec<String> = facts
        .debezium_connectors
        .iter()
        .filter(|other| other.slot == *slot && other.database == *database)
        .filter(|other| !(other.connector == connector.name && other.cluster == cluster))
        .map(|other| format!("{} (cluster {})", shell_quote(&other.connector), shell_quote(&other.cluster)))
        .collect();
    if !sharing.is_empty() {
        actions.push(format!(
            "Connector {} is configured with the same slot: give each connector its own slot.name",
            sharing.join(", ")
        ));
    }
    match facts.slot(database, slot).and_then(|held| held.active_pid) {
        Some(pid) => actions.push(format!(
            "PostgreSQL shows slot {} held by process {pid}; see what it is: {}, and stop that consumer (or, if it is a \
             stray one, end it: {})",
            shell_quote(slot),
            psql(
                database,
                &format!(
                    "SELECT pid, usename, application_name, client_addr, backend_start FROM pg_stat_replication WHERE pid = {pid}"
                )
            ),
            psql(database, &format!("SELECT pg_terminate_backend({pid})")),
        )),
        None => actions.push(format!(
            "Find the process holding slot {}: {}, and stop that consumer",
            shell_quote(slot),
            psql(
                database,
                &format!("SELECT active_pid FROM pg_replication_slots WHERE slot_name = {}", quote_literal(slot))
            )
        )),
    }
    actions
}

fn generic(cause: FailureCause) -> &'static str {
    match cause {
        FailureCause::DatabaseUnreachable => {
            "Bring PostgreSQL back or make it reachable from the worker; the task stays FAILED after it returns"
        }
        FailureCause::TransformError => {
            "A transform rejected a change (for the outbox EventRouter: an UPDATE or DELETE on the outbox, or a row \
             missing a field it routes by). Fix the row or the transform's settings (for example \
             transforms.<alias>.table.op.invalid.behavior=warn); the same change is read again on every restart"
        }
        FailureCause::KafkaProduce => {
            "Kafka refused a record: check the brokers and the topic's limits (max.message.bytes against the \
             producer's max.request.size) in the worker's log"
        }
        FailureCause::OffsetCommit => {
            "The worker could not write its offsets: check that its internal topics (offset.storage.topic) exist \
             and are writable (runbook step 3b)"
        }
        FailureCause::Unknown => "No known cause in the trace: read it in full in the worker's log (runbook step 1)",
        _ => "Read the trace in the worker's log (runbook step 1)",
    }
}

/// `psql -d DB -c SQL`, both one shell word.
fn psql(database: &str, sql: &str) -> String {
    format!("psql -d {} -c {}", shell_quote(database), shell_quote(sql))
}

/// `CREATE PUBLICATION` for the connector's capture list. `table.include.list` holds
/// regular expressions; only plain `schema.table` names can be written as tables.
fn create_publication(publication: &str, tables: Option<&str>) -> String {
    let name = quote_identifier(publication);
    let Some(tables) = tables else {
        // What Debezium's autocreate does without an include list.
        return format!("CREATE PUBLICATION {name} FOR ALL TABLES");
    };
    let entries: Vec<&str> = tables.split(',').map(str::trim).filter(|entry| !entry.is_empty()).collect();
    let plain: Option<Vec<String>> = entries
        .iter()
        .map(|entry| {
            let (schema, table) =
                entry.replace(r"\.", ".").split_once('.').map(|(s, t)| (s.to_owned(), t.to_owned()))?;
            let word =
                |part: &str| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$');
            (word(&schema) && word(&table))
                .then(|| format!("{}.{}", quote_identifier(&schema), quote_identifier(&table)))
        })
        .collect();
    match plain {
        Some(plain) if !plain.is_empty() => format!("CREATE PUBLICATION {name} FOR TABLE {}", plain.join(", ")),
        // Patterns: the person lists the tables they match.
        _ => format!("CREATE PUBLICATION {name} FOR TABLE <the tables table.include.list matches: {tables}>"),
    }
}

/// An SQL string literal.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tests::shell_words;

    #[test]
    fn the_publication_covers_the_include_list_quoted() {
        assert_eq!(
            create_publication("dbz_publication", Some("public.outbox")),
            r#"CREATE PUBLICATION "dbz_publication" FOR TABLE "public"."outbox""#
        );
        assert_eq!(
            create_publication("p", Some(r"public\.outbox, sales.orders")),
            r#"CREATE PUBLICATION "p" FOR TABLE "public"."outbox", "sales"."orders""#
        );
        assert_eq!(create_publication("p", None), r#"CREATE PUBLICATION "p" FOR ALL TABLES"#);
        assert!(create_publication("p", Some("public.outbox_.*")).contains("<the tables table.include.list matches"));
        assert_eq!(
            create_publication(r#"a"; DROP TABLE x; --"#, Some("public.outbox")),
            r#"CREATE PUBLICATION "a""; DROP TABLE x; --" FOR TABLE "public"."outbox""#
        );
    }

    #[test]
    fn a_hostile_statement_stays_one_shell_word() {
        let sql = create_publication("x'; touch /tmp/PWNED; echo '", Some("public.outbox"));
        let command = psql("inventory", &sql);
        assert_eq!(shell_words(&command), ["psql", "-d", "inventory", "-c", sql.as_str()]);
    }
}
