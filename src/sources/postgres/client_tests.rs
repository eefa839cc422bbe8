//! Tests of client.rs: its SQL and how it reads the rows.

use super::*;
use crate::config::Config;

fn server(version_num: i32, in_recovery: bool) -> QueryPlan {
    plan(Server { version_num, in_recovery }).unwrap()
}

#[test]
fn queries_follow_the_version_and_role() {
    let error = plan(Server { version_num: 90_624, in_recovery: false }).unwrap_err().to_string();
    assert!(error.contains("PostgreSQL 9 is not supported"), "{error}");

    for version_num in [100_023, 110_022, 120_020] {
        let plan = server(version_num, false);
        assert!(plan.wal.contains("pg_current_wal_lsn()"));
        assert!(plan.wal.ends_with("NULL::float8 AS max_slot_wal_keep_size_bytes"), "{}", plan.wal);
        assert!(
            plan.slots.contains("NULL::text AS wal_status, NULL::bigint AS safe_wal_size"),
            "no wal_status before 13"
        );
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
    assert_eq!((queries.table_sql.as_str(), queries.timestamp_column.as_str()), ("\"Sales\".\"outbox\"", "Created At"));
    assert_eq!(
        queries.oldest_age,
        "SELECT EXTRACT(EPOCH FROM now() - min(\"Created At\"))::float8 AS oldest_age_seconds FROM \"Sales\".\"outbox\""
    );
    assert_eq!(queries.cap, 5000);
    assert_eq!(
        queries.unpublished,
        "SELECT count(*) FROM (SELECT 1 FROM \"Sales\".\"outbox\" WHERE \"Created At\" >= $1 LIMIT $2) AS capped"
    );
}
