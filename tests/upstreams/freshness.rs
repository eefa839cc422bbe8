//! `debezium_connector_freshness` against the real stack: the Connect, Jolokia and PostgreSQL
//! sources together, one real connector. Before its first event it is `idle`; after real
//! outbox inserts `streaming`; once its last event is a minute old `idle` again, while a second
//! database of the same server takes writes (its WAL grows the connector's slot's lag, which
//! must not read as `stalled`: the connector's own database has no changes waiting). Each time
//! exactly one of the six states is 1, and the exposition is promtool-clean.
//!
//! `stalled` itself needs the slot's position still for 5 minutes (`STALLED_AFTER`); it is
//! proven on hand-built signals (src/join/freshness.rs), not here.

use crate::common;
use std::process::Command;
use std::time::Duration;

use common::{Connect, Exporter, Exposition, env_or, outbox_connector, psql_admin};

/// A new connector runs ≈ 11 s after its POST; idle is a minute without events.
const PATIENCE: Duration = Duration::from_secs(180);
const OTHER_DATABASE: &str = "freshness_other";

fn jolokia_url() -> String {
    format!("http://127.0.0.1:{}/jolokia", env_or("JOLOKIA_PORT", "8778"))
}

/// The states that are 1 for `connector`, after checking all six are there.
fn current(exposition: &Exposition, connector: &str) -> Vec<String> {
    let series = exposition.series("debezium_connector_freshness", &[("cluster", "stack"), ("connector", connector)]);
    if series.len() != 6 {
        return Vec::new();
    }
    series.into_iter().filter(|(_, value)| *value == 1.0).map(|(labels, _)| labels).collect()
}

fn is_in(exposition: &Exposition, connector: &str, state: &str) -> bool {
    let ones = current(exposition, connector);
    ones.len() == 1 && ones[0].contains(&format!("state=\"{state}\""))
}

/// SQL as the superuser in the second database (psql_admin speaks to the captured one).
fn psql_other(sql: &str) {
    let status = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .args(["-h", &env_or("PG_SOCKET_DIR", "/tmp/debezium-exporter-stack/pg/socket")])
        .args(["-p", &env_or("PG_PORT", "5432")])
        .args(["-U", &env_or("PG_SUPERUSER", "postgres")])
        .args(["-d", OTHER_DATABASE, "-c", sql])
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql -d {OTHER_DATABASE} -c {sql}");
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn streaming_after_events_then_idle_while_another_database_writes() {
    let _room = common::room::enter(module_path!());
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let name = format!("fresh-{}", since_epoch.as_millis() % 100_000_000);
    let slot = name.replace('-', "_");
    let publication = format!("{slot}_pub");
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {publication}; CREATE PUBLICATION {publication} FOR TABLE public.outbox"
    ));
    if psql_admin(&format!("SELECT 1 FROM pg_database WHERE datname = '{OTHER_DATABASE}'")).trim().is_empty() {
        psql_admin(&format!("CREATE DATABASE {OTHER_DATABASE}"));
    }
    psql_other("CREATE TABLE IF NOT EXISTS busy (n int)");
    let connect = Connect::new();
    connect.create(&outbox_connector(&name, &slot, &publication)).await;

    // SAFETY: set before the exporter starts; nothing else in this test reads it.
    unsafe { std::env::set_var("FRESHNESS_TEST_DSN", common::exporter_dsn()) };
    let exporter = Exporter::start(&[
        "--connect.url",
        &format!("stack={}", common::connect_url()),
        "--jolokia.url",
        &format!("w1={}", jolokia_url()),
        "--postgres.dsn",
        "stack=${FRESHNESS_TEST_DSN}",
        "--poll.interval",
        "1s",
    ]);
    exporter.wait_for("one freshness state for the new connector", PATIENCE, |e| current(e, &name).len() == 1).await;

    psql_admin(&format!(
        "INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload) \
         VALUES (gen_random_uuid(), 'freshness', '{name}', 'Created', '{{\"n\": 1}}')"
    ));
    let seen = exporter.wait_for("streaming after an event", PATIENCE, |e| is_in(e, &name, "streaming")).await;
    if let Some(complaints) = common::promtool_complaints(&seen.0) {
        panic!("promtool check metrics:\n{complaints}\n{}", seen.0);
    }

    // The captured database stays quiet; another one on the same server writes WAL.
    let writes = std::thread::spawn(|| {
        for _ in 0..90 {
            psql_other("INSERT INTO busy SELECT generate_series(1, 1000)");
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let seen =
        exporter.wait_for("idle once the last event is a minute old", PATIENCE, |e| is_in(e, &name, "idle")).await;
    assert!(
        seen.value("pg_replication_slot_lag_bytes", &[("slot", &slot)]).is_some_and(|lag| lag > 0.0),
        "the other database's WAL is behind the slot's confirmed position"
    );
    writes.join().unwrap();

    connect.remove(&name, &slot).await;
    exporter
        .wait_for("the deleted connector's freshness gone", PATIENCE, |e| {
            e.series("debezium_connector_freshness", &[("connector", &name)]).is_empty()
        })
        .await;
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {publication}; DELETE FROM public.outbox WHERE aggregateid = '{name}'"
    ));
}
