//! The real exporter binary against every PostgreSQL major it claims to support, 10 to 18.
//!
//! The PostgreSQL source picks its queries by server version (`plan` in
//! src/sources/postgres/client.rs): `wal_status`, `safe_wal_size` and `max_slot_wal_keep_size` from 13,
//! `inactive_since` from 17. The shared stack runs only Debian's 15, so these tests start
//! throwaway clusters of every major from the upstream builds `scripts/postgres-versions` unpacks
//! into PG_VERSIONS_DIR (`scripts/test` runs it), all at once: `initdb` into a temp dir, a free
//! port on 127.0.0.1, `wal_level = logical`, stopped and deleted on drop.
//!
//! - Per major: a pgoutput, a test_decoding and a physical slot, unconfirmed WAL, then
//!   `debezium-exporter --postgres.dsn` and what that version should produce.
//! - Per major, a streaming standby (a copy of the stopped primary with `standby.signal`, or
//!   `recovery.conf` on 10 and 11): the received LSN replaces `pg_current_wal_lsn()`, which
//!   fails there; the standby's own physical slot, and on 16+ its own logical slot.
//! - On 13 and later, a slot driven to `unreserved` and then `lost` (16 MB
//!   `max_slot_wal_keep_size`, WAL switches, a checkpoint).
//!
//! Figures are bracketed by the server's own answers just before the exporter started and just
//! after the scrape (WAL only grows), so no assertion depends on timing. `PG_VERSIONS=13,17`
//! limits a run to some majors.

use crate::common;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

use common::local_postgres::{as_postgres, give_to_postgres, is_root, run};
use common::{Exporter, Exposition, env_or, free_port, promtool_complaints};

/// Every major the README says is tested.
const MAJORS: [u32; 9] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
const SLOTS: [(&str, &str, &str); 3] = [
    ("pgver_pgoutput", "logical", "pgoutput"),
    ("pgver_test_decoding", "logical", "test_decoding"),
    ("pgver_physical", "physical", ""),
];
/// Set on 13+ so `safe_wal_size` has a value (it is NULL without a limit).
const MAX_SLOT_WAL_KEEP_SIZE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;
const DEADLINE: Duration = Duration::from_secs(60);

/// Where `scripts/postgres-versions` puts the binaries; the same default as scripts/stack-env.
fn versions_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_VERSIONS_DIR") {
        return PathBuf::from(dir);
    }
    if is_root() {
        return PathBuf::from("/var/cache/debezium-exporter-stack/postgres-versions");
    }
    let cache = env_or("STACK_CACHE", &format!("{}/.cache/debezium-exporter-stack", env_or("HOME", "/root")));
    PathBuf::from(cache).join("postgres-versions")
}

fn majors() -> Vec<u32> {
    match std::env::var("PG_VERSIONS") {
        Ok(list) => {
            list.split(',').map(|major| major.trim().parse().expect("PG_VERSIONS: majors like 13,17")).collect()
        }
        Err(_) => MAJORS.to_vec(),
    }
}

/// One throwaway cluster of one major, stopped and deleted on drop (also when a check panics).
struct Cluster {
    major: u32,
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// `settings`: postgresql.conf lines on top of ours.
    fn start(major: u32, settings: &[&str]) -> Cluster {
        let bin = versions_dir().join(major.to_string()).join("bin");
        assert!(
            bin.join("postgres").exists(),
            "no PostgreSQL {major} in {}: run scripts/postgres-versions",
            bin.display()
        );
        let dir = tempfile::Builder::new().prefix(&format!("dbx-test-pg{major}-")).tempdir().unwrap();
        give_to_postgres(dir.path());
        let data = dir.path().join("data");
        // -N: no fsync of the new cluster; it lives for seconds.
        run(as_postgres(&bin.join("initdb"))
            .args(["-N", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "-D"])
            .arg(&data));
        let mut conf = format!(
            "listen_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nwal_level = logical\n\
             max_wal_senders = 4\nmax_replication_slots = 8\nfsync = off\n",
            dir.path().display()
        );
        if major >= 13 {
            conf.push_str(&format!("max_slot_wal_keep_size = {}MB\n", MAX_SLOT_WAL_KEEP_SIZE_BYTES as u64 >> 20));
        }
        for setting in settings {
            conf.push_str(setting);
            conf.push('\n');
        }
        let mut cluster = Cluster { major, bin, dir, port: 0 };
        cluster.start_on_a_free_port(&conf);
        cluster
    }

    /// A streaming standby of `primary` through its physical slot `slot`, made from a copy of
    /// the stopped primary (the package has no pg_basebackup, and Debian's 15 refuses newer
    /// servers). 12+ reads `standby.signal`, 10 and 11 `recovery.conf`.
    fn standby_of(primary: &Cluster, slot: &str) -> Cluster {
        let dir = tempfile::Builder::new().prefix(&format!("dbx-test-pg{}-standby-", primary.major)).tempdir().unwrap();
        give_to_postgres(dir.path());
        let data = dir.path().join("data");
        primary.pg_ctl("stop");
        run(Command::new("cp").arg("-a").arg(primary.dir.path().join("data")).arg(&data));
        primary.pg_ctl("start");
        // Slots are the primary's own; pg_basebackup leaves them out too.
        for entry in std::fs::read_dir(data.join("pg_replslot")).unwrap() {
            std::fs::remove_dir_all(entry.unwrap().path()).unwrap();
        }
        let conninfo = format!("host=127.0.0.1 port={} user=postgres", primary.port);
        let mut conf = std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap();
        conf.push_str(&format!("unix_socket_directories = '{}'\n", dir.path().display()));
        let recovery = format!("primary_conninfo = '{conninfo}'\nprimary_slot_name = '{slot}'\n");
        if primary.major >= 12 {
            conf.push_str(&recovery);
            let signal = data.join("standby.signal");
            std::fs::write(&signal, "").unwrap();
            give_to_postgres(&signal);
        } else {
            let file = data.join("recovery.conf");
            std::fs::write(&file, format!("standby_mode = 'on'\n{recovery}")).unwrap();
            give_to_postgres(&file);
        }
        let mut standby = Cluster { major: primary.major, bin: primary.bin.clone(), dir, port: 0 };
        standby.start_on_a_free_port(&conf);
        standby
    }

    /// Writes `conf` and a free port into postgresql.auto.conf and starts the server. The port
    /// is free when asked for but may be taken before the server binds it (many servers and
    /// exporters start at once here), so a bind failure is retried on another port.
    fn start_on_a_free_port(&mut self, conf: &str) {
        for attempt in 1..=3 {
            self.port = free_port();
            let auto_conf = self.dir.path().join("data").join("postgresql.auto.conf");
            std::fs::write(auto_conf, format!("{conf}port = {}\n", self.port)).unwrap();
            match self.try_pg_ctl("start") {
                Ok(()) => return,
                Err(error) if attempt < 3 && error.contains("could not bind") => continue,
                Err(error) => panic!("PostgreSQL {}: {error}", self.major),
            }
        }
    }

    fn pg_ctl(&self, action: &str) {
        if let Err(error) = self.try_pg_ctl(action) {
            panic!("PostgreSQL {}: {error}", self.major);
        }
    }

    /// `pg_ctl ACTION`; on failure its output and the server's log.
    fn try_pg_ctl(&self, action: &str) -> Result<(), String> {
        let log = self.dir.path().join("log");
        let mut command = as_postgres(&self.bin.join("pg_ctl"));
        command
            .args([action, "-w", "-t", "60", "-m", "fast", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(&log);
        let output = command.output().unwrap_or_else(|error| panic!("{command:?}: {error}"));
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "pg_ctl {action}: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        ))
    }

    fn dsn(&self) -> String {
        format!("pg{}=postgresql://postgres@127.0.0.1:{}/postgres", self.major, self.port)
    }

    async fn client(&self) -> Client {
        let dsn = format!("host=127.0.0.1 port={} user=postgres dbname=postgres", self.port);
        let (client, connection) = tokio_postgres::connect(&dsn, NoTls).await.expect("connect as postgres");
        tokio::spawn(connection);
        client
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_postgres(&self.bin.join("pg_ctl")).args(["stop", "-w", "-m", "immediate", "-D"]).arg(&data).output();
    }
}

/// What the server itself says about one slot.
#[derive(Debug)]
struct SlotByServer {
    lag: f64,
    retained: f64,
    safe_wal_size: Option<f64>,
    /// From `inactive_since`, 17+.
    inactive_seconds: Option<f64>,
}

/// The server's WAL position and its view of each of our slots, in bytes and seconds.
async fn server_view(client: &Client, major: u32) -> (f64, Vec<SlotByServer>) {
    let current = "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8";
    let current_lsn: f64 = client.query_one(&format!("SELECT {current}"), &[]).await.unwrap().get(0);
    let safe = if major >= 13 { "safe_wal_size::float8" } else { "NULL::float8" };
    let inactive = if major >= 17 { "EXTRACT(EPOCH FROM now() - inactive_since)::float8" } else { "NULL::float8" };
    let mut slots = Vec::new();
    for (slot, _, _) in SLOTS {
        let row = client
            .query_one(
                &format!(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), COALESCE(confirmed_flush_lsn, restart_lsn))::float8, \
                     pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8, {safe}, {inactive} \
                     FROM pg_replication_slots WHERE slot_name = $1"
                ),
                &[&slot],
            )
            .await
            .unwrap();
        slots.push(SlotByServer {
            lag: row.get(0),
            retained: row.get(1),
            safe_wal_size: row.get(2),
            inactive_seconds: row.get(3),
        });
    }
    (current_lsn, slots)
}

fn assert_between(what: &str, value: f64, low: f64, high: f64) {
    assert!(low <= value && value <= high, "{what} = {value}, expected between {low} and {high}");
}

/// Failed polls of the postgres target `db` so far, whatever the reason.
fn failed_polls(exposition: &Exposition, db: &str) -> f64 {
    let labels = [("source", "postgres"), ("target", db)];
    exposition.series("debezium_exporter_poll_errors_total", &labels).iter().map(|(_, count)| count).sum()
}

/// Everything one major must show; panics with the major in the message.
async fn check_major(major: u32) {
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(major, &[])).await.unwrap();
    let client = cluster.client().await;
    let version_num: i32 =
        client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0);
    assert_eq!(version_num / 10_000, major as i32, "PostgreSQL {major}: server_version_num {version_num}");

    for (slot, slot_type, plugin) in SLOTS {
        let sql = if slot_type == "logical" {
            format!("SELECT pg_create_logical_replication_slot('{slot}', '{plugin}')")
        } else {
            format!("SELECT pg_create_physical_replication_slot('{slot}', true)")
        };
        client.batch_execute(&sql).await.unwrap_or_else(|error| panic!("PostgreSQL {major}: {sql}: {error:?}"));
    }
    let created = Instant::now();
    // WAL the slots have not confirmed: lag and retention well above a few records.
    client
        .batch_execute(
            "CREATE TABLE pgver_t AS SELECT g AS id, repeat('x', 100) AS filler FROM generate_series(1, 10000) g",
        )
        .await
        .unwrap();
    // Slots inactive for a while before the exporter first looks: on 17+ it must report the
    // server's figure, not start at 0 as its own measurement does.
    tokio::time::sleep_until((created + Duration::from_secs(2)).into()).await;

    let (lsn_before, before) = server_view(&client, major).await;
    let started = Instant::now();
    let dsn = cluster.dsn();
    let exporter =
        tokio::task::spawn_blocking(move || Exporter::start(&["--postgres.dsn", &dsn, "--poll.interval", "1s"]))
            .await
            .unwrap();
    let db = format!("pg{major}");
    let slot_labels = |slot: &'static str| [("db", db.clone()), ("slot", slot.to_owned())];
    let value = |e: &Exposition, name: &str, slot: &'static str| {
        let labels = slot_labels(slot);
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.value(name, &labels)
    };
    let up = |e: &Exposition| e.value("debezium_exporter_source_up", &[("source", "postgres"), ("target", &db)]);
    // Until a poll failed (its error is in the log) or every slot is there. (`up` is 0 before
    // the first poll too, so it cannot tell a failure.)
    let seen = exporter
        .wait_for(&format!("PostgreSQL {major}: every slot"), DEADLINE, |e| {
            failed_polls(e, &db) > 0.0
                || SLOTS.iter().all(|(slot, _, _)| value(e, "pg_replication_slot_lag_bytes", slot).is_some())
        })
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let (lsn_after, after) = server_view(&client, major).await;
    let context = |what: &str| format!("PostgreSQL {major}: {what}");

    assert_eq!(up(&seen), Some(1.0), "{}; the exporter's log:\n{}", context("up"), exporter.log());
    let lsn = seen.value("pg_wal_current_lsn_bytes", &[("db", &db)]).expect("pg_wal_current_lsn_bytes");
    assert_between(&context("pg_wal_current_lsn_bytes"), lsn, lsn_before, lsn_after);

    for (index, (slot, slot_type, plugin)) in SLOTS.into_iter().enumerate() {
        let (before, after) = (&before[index], &after[index]);
        let what = |metric: &str| context(&format!("{metric} of {slot}"));
        let series = seen.series("pg_replication_slot_active", &[("db", &db), ("slot", slot)]);
        assert_eq!(series.len(), 1, "{}", what("active"));
        assert!(
            series[0].0.contains(&format!("slot_type=\"{slot_type}\",plugin=\"{plugin}\"")),
            "{}: {}",
            what("labels"),
            series[0].0
        );
        assert_eq!(series[0].1, 0.0, "{}", what("active"));

        let lag = value(&seen, "pg_replication_slot_lag_bytes", slot).unwrap();
        assert!(before.lag > 1_000_000.0, "{}: the table's WAL is not confirmed: {}", what("lag"), before.lag);
        assert_between(&what("lag"), lag, before.lag, after.lag);
        let retained = value(&seen, "pg_replication_slot_retained_wal_bytes", slot).expect("retained");
        assert_between(&what("retained WAL"), retained, before.retained, after.retained);

        let statuses = seen.series("pg_replication_slot_wal_status", &[("db", &db), ("slot", slot)]);
        let safe = value(&seen, "pg_replication_slot_safe_wal_size_bytes", slot);
        let inactive = value(&seen, "pg_replication_slot_inactive_seconds", slot).expect("inactive seconds");
        if major >= 13 {
            let current: Vec<&str> = statuses
                .iter()
                .filter(|(_, value)| *value == 1.0)
                .map(|(labels, _)| labels.rsplit_once("status=\"").unwrap().1.trim_end_matches('"'))
                .collect();
            assert_eq!((statuses.len(), current), (4, vec!["reserved"]), "{}", what("wal_status"));
            let safe = safe.unwrap_or_else(|| panic!("{}: absent", what("safe_wal_size")));
            assert_between(&what("safe_wal_size"), safe, after.safe_wal_size.unwrap(), before.safe_wal_size.unwrap());
        } else {
            assert!(statuses.is_empty(), "{}: no wal_status before 13: {statuses:?}", what("wal_status"));
            assert_eq!(safe, None, "{}: none before 13", what("safe_wal_size"));
        }
        if major >= 17 {
            // The server's inactive_since: the slots were inactive before the exporter started.
            assert_between(
                &what("inactive seconds (inactive_since)"),
                inactive,
                before.inactive_seconds.unwrap(),
                after.inactive_seconds.unwrap(),
            );
        } else {
            assert_between(&what("inactive seconds (measured by the exporter)"), inactive, 0.0, elapsed);
        }
    }
    let setting = seen.value("pg_settings_max_slot_wal_keep_size_bytes", &[("db", &db)]);
    assert_eq!(setting, (major >= 13).then_some(MAX_SLOT_WAL_KEEP_SIZE_BYTES), "{}", context("max_slot_wal_keep_size"));
    if let Some(complaints) = promtool_complaints(&seen.0) {
        panic!("{}:\n{complaints}\n{}", context("promtool check metrics"), seen.0);
    }

    if major < 17 {
        // Measured by the exporter: it grows from the poll that first saw the slot inactive.
        exporter
            .wait_for(&context("inactive seconds growing"), DEADLINE, |e| {
                value(e, "pg_replication_slot_inactive_seconds", "pgver_pgoutput").is_some_and(|seconds| seconds > 0.0)
            })
            .await;
    }
}

/// The last received, else replayed, WAL position of a standby, in bytes.
async fn standby_lsn(client: &Client) -> f64 {
    client
        .query_one(
            "SELECT pg_wal_lsn_diff(COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), '0/0')::float8",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// The standby query path of one major: `pg_is_in_recovery()`, the received LSN instead of
/// `pg_current_wal_lsn()` (which fails on a standby), the standby's own slot.
async fn check_standby(major: u32) {
    let primary = tokio::task::spawn_blocking(move || Cluster::start(major, &[])).await.unwrap();
    let on_primary = primary.client().await;
    on_primary.batch_execute("SELECT pg_create_physical_replication_slot('pgver_standby', true)").await.unwrap();
    let (primary, standby) = tokio::task::spawn_blocking(move || {
        let standby = Cluster::standby_of(&primary, "pgver_standby");
        (primary, standby)
    })
    .await
    .unwrap();
    let on_primary = primary.client().await;
    let on_standby = standby.client().await;
    let context = |what: &str| format!("PostgreSQL {major} standby: {what}");
    let in_recovery: bool = on_standby.query_one("SELECT pg_is_in_recovery()", &[]).await.unwrap().get(0);
    assert!(in_recovery, "{}", context("pg_is_in_recovery()"));
    // A slot of the standby's own, as a cascading standby would read from; on 16+ also a
    // logical one, as a connector reading from the standby would use.
    on_standby.batch_execute("SELECT pg_create_physical_replication_slot('pgver_cascade', true)").await.unwrap();
    let mut standby_slots = vec!["pgver_cascade"];
    if major >= 16 {
        // Creating it waits for the primary's next running-transactions record: ask for one
        // until the slot is there instead of waiting up to 15 s for the background writer.
        let create =
            on_standby.batch_execute("SELECT pg_create_logical_replication_slot('pgver_standby_logical', 'pgoutput')");
        let nudge = async {
            loop {
                on_primary.batch_execute("SELECT pg_log_standby_snapshot()").await.unwrap();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let created = tokio::time::timeout(DEADLINE, async {
            tokio::select! {
                created = create => created,
                never = nudge => never,
            }
        })
        .await;
        created
            .unwrap_or_else(|_| panic!("{}", context("a logical slot on the standby within a minute")))
            .unwrap_or_else(|error| panic!("{}: {error:?}", context("a logical slot on the standby")));
        standby_slots.push("pgver_standby_logical");
    }
    on_primary
        .batch_execute(
            "CREATE TABLE pgver_t AS SELECT g AS id, repeat('x', 100) AS filler FROM generate_series(1, 10000) g",
        )
        .await
        .unwrap();
    let written: f64 =
        on_primary.query_one("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8", &[]).await.unwrap().get(0);
    let deadline = Instant::now() + DEADLINE;
    while standby_lsn(&on_standby).await < written {
        assert!(Instant::now() < deadline, "{}", context("the table's WAL never arrived"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let lsn_before = standby_lsn(&on_standby).await;
    let dsn = standby.dsn();
    let exporter =
        tokio::task::spawn_blocking(move || Exporter::start(&["--postgres.dsn", &dsn, "--poll.interval", "1s"]))
            .await
            .unwrap();
    let db = format!("pg{major}");
    let up = |e: &Exposition| e.value("debezium_exporter_source_up", &[("source", "postgres"), ("target", &db)]);
    let labels = |slot| [("db", db.as_str()), ("slot", slot)];
    let seen = exporter
        .wait_for(&context("the standby's slots"), DEADLINE, |e| {
            failed_polls(e, &db) > 0.0
                || standby_slots.iter().all(|slot| e.value("pg_replication_slot_lag_bytes", &labels(slot)).is_some())
        })
        .await;
    let lsn_after = standby_lsn(&on_standby).await;
    assert_eq!(up(&seen), Some(1.0), "{}; the exporter's log:\n{}", context("up"), exporter.log());
    let lsn = seen.value("pg_wal_current_lsn_bytes", &[("db", &db)]).unwrap();
    assert_between(&context("pg_wal_current_lsn_bytes (received)"), lsn, lsn_before, lsn_after);
    for slot in standby_slots {
        let row = on_standby
            .query_one(
                "SELECT pg_wal_lsn_diff(COALESCE(confirmed_flush_lsn, restart_lsn), '0/0')::float8, \
                 pg_wal_lsn_diff(restart_lsn, '0/0')::float8 FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .unwrap();
        let (confirmed, restart): (f64, f64) = (row.get(0), row.get(1));
        for (metric, from) in
            [("pg_replication_slot_lag_bytes", confirmed), ("pg_replication_slot_retained_wal_bytes", restart)]
        {
            let what = context(&format!("{metric} of {slot}"));
            let value = seen.value(metric, &labels(slot)).unwrap_or_else(|| panic!("{what}: absent"));
            assert_between(&what, value, lsn_before - from, lsn_after - from);
            assert!(value > 1_000_000.0, "{what}: the table's WAL is not confirmed: {value}");
        }
        let statuses = seen.series("pg_replication_slot_wal_status", &labels(slot));
        assert_eq!(statuses.len(), if major >= 13 { 4 } else { 0 }, "{}", context("wal_status"));
    }
    if let Some(complaints) = promtool_complaints(&seen.0) {
        panic!("{}:\n{complaints}\n{}", context("promtool check metrics"), seen.0);
    }
}

/// The `status` label of the slot's current `wal_status` series.
fn wal_status(exposition: &Exposition, db: &str, slot: &str) -> Option<String> {
    exposition
        .series("pg_replication_slot_wal_status", &[("db", db), ("slot", slot)])
        .iter()
        .find(|(_, value)| *value == 1.0)
        .and_then(|(labels, _)| {
            labels.rsplit_once("status=\"").map(|(_, status)| status.trim_end_matches('"').to_owned())
        })
}

/// 13+: a slot left behind goes `unreserved`, then `lost` at the next checkpoint, as the
/// exporter reports it; a lost slot keeps its lag but has no retained WAL nor safe size.
async fn check_lost_slot(major: u32) {
    // No checkpoint may happen on its own between the steps: the forced WAL stays far below
    // max_wal_size and the timeout far above the test's duration.
    let settings = ["max_wal_size = 1GB", "checkpoint_timeout = 1h", "max_slot_wal_keep_size = 16MB"];
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(major, &settings)).await.unwrap();
    let client = cluster.client().await;
    let slot = "pgver_doomed";
    client.execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", &[&slot]).await.unwrap();
    let dsn = cluster.dsn();
    let exporter =
        tokio::task::spawn_blocking(move || Exporter::start(&["--postgres.dsn", &dsn, "--poll.interval", "1s"]))
            .await
            .unwrap();
    let db = format!("pg{major}");
    let context = |what: &str| format!("PostgreSQL {major}: {what}");
    let labels = [("db", db.as_str()), ("slot", slot)];
    let seen = exporter
        .wait_for(&context("reserved"), DEADLINE, |e| failed_polls(e, &db) > 0.0 || wal_status(e, &db, slot).is_some())
        .await;
    assert_eq!(
        wal_status(&seen, &db, slot).as_deref(),
        Some("reserved"),
        "{}\n{}",
        context("reserved"),
        exporter.log()
    );
    assert_eq!(
        seen.value("pg_settings_max_slot_wal_keep_size_bytes", &[("db", &db)]),
        Some(16.0 * 1024.0 * 1024.0),
        "{}",
        context("max_slot_wal_keep_size")
    );

    // Each switch after a write starts a new 16 MB segment: four exceed the 16 MB the slot may
    // keep, so its oldest segment is no longer reserved.
    for _ in 0..4 {
        client
            .batch_execute("SELECT pg_logical_emit_message(true, 'pgver', repeat('z', 1000)); SELECT pg_switch_wal()")
            .await
            .unwrap();
    }
    let seen = exporter
        .wait_for(&context("unreserved"), DEADLINE, |e| wal_status(e, &db, slot).as_deref() == Some("unreserved"))
        .await;
    let safe = seen.value("pg_replication_slot_safe_wal_size_bytes", &labels);
    assert!(safe.is_some_and(|safe| safe <= 0.0), "{}: {safe:?}", context("safe_wal_size while unreserved"));

    // The checkpoint removes the segments: the slot is lost and can never be resumed.
    client.batch_execute("CHECKPOINT").await.unwrap();
    let seen =
        exporter.wait_for(&context("lost"), DEADLINE, |e| wal_status(e, &db, slot).as_deref() == Some("lost")).await;
    let row = client
        .query_one(
            "SELECT restart_lsn IS NULL, safe_wal_size IS NULL FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap();
    let (restart_lsn_null, safe_null): (bool, bool) = (row.get(0), row.get(1));
    // 13 to 18 alike: invalidation clears restart_lsn, and safe_wal_size is NULL.
    assert!(restart_lsn_null && safe_null, "{}", context("the server's restart_lsn and safe_wal_size of a lost slot"));
    assert_eq!(seen.value("pg_replication_slot_safe_wal_size_bytes", &labels), None, "{}", context("safe_wal_size"));
    assert_eq!(seen.value("pg_replication_slot_retained_wal_bytes", &labels), None, "{}", context("retained WAL"));
    assert!(
        seen.value("pg_replication_slot_lag_bytes", &labels).is_some(),
        "{}",
        context("a lost slot's lag stays visible")
    );
    if let Some(complaints) = promtool_complaints(&seen.0) {
        panic!("{}:\n{complaints}\n{}", context("promtool check metrics"), seen.0);
    }
}

/// Runs `check` for every major from `first` at once; fails naming each major that failed and why.
async fn for_every_major<F, C>(first: u32, check: C)
where
    C: Fn(u32) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let majors: Vec<u32> = majors().into_iter().filter(|major| *major >= first).collect();
    // A check of no major would pass having checked nothing.
    assert!(
        !majors.is_empty(),
        "PG_VERSIONS={:?} names no major from {first}: add one, or leave this test out by name",
        std::env::var("PG_VERSIONS").unwrap_or_default()
    );
    let checks: Vec<_> = majors.iter().map(|&major| (major, tokio::spawn(check(major)))).collect();
    let mut failed = Vec::new();
    for (major, check) in checks {
        if let Err(error) = check.await {
            let message = error
                .try_into_panic()
                .ok()
                .and_then(|panic| {
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                })
                .unwrap_or_else(|| "cancelled".to_owned());
            failed.push(format!("PostgreSQL {major}: {message}"));
        }
    }
    assert!(failed.is_empty(), "{} of {:?} failed:\n{}", failed.len(), majors, failed.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the real stack (scripts/test)"]
async fn every_supported_major_reports_its_slots() {
    let _room = common::room::enter(module_path!());
    for_every_major(10, check_major).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the real stack (scripts/test)"]
async fn every_supported_major_as_a_streaming_standby() {
    let _room = common::room::enter(module_path!());
    for_every_major(10, check_standby).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the real stack (scripts/test)"]
async fn slots_go_unreserved_then_lost_from_13() {
    let _room = common::room::enter(module_path!());
    for_every_major(13, check_lost_slot).await;
}
