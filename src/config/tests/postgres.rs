//! `sources.postgres[]` and `--postgres.dsn` in a whole configuration.

use super::load_error;
use crate::config::postgres::{self, DEFAULT_COUNT_CAP, PostgresConfig, SslMode};
use crate::config::{Config, RawConfig, ServeFlags};

#[test]
fn a_duplicate_database_is_located_in_the_file() {
    let error = load_error("sources:\n  postgres:\n    - dsn: host=h dbname=a\n    - dsn: host=i dbname=a\n");
    assert!(error.starts_with("sources.postgres[1].name: db `a` is configured twice"), "{error}");
    assert!(error.ends_with("(line 4, column 7)"), "{error}");
}

#[test]
fn verification_without_a_ca_is_located_in_the_file() {
    let error = load_error("sources:\n  postgres:\n    - dsn: host=h\n      sslmode: verify-full\n");
    assert!(error.starts_with("sources.postgres[0].ca_file: sslmode verify-full needs the CA"), "{error}");
    assert!(error.ends_with("(line 3, column 7)"), "{error}");
}

#[test]
fn an_unreadable_dsn_ca_is_located_at_the_dsn() {
    let error = load_error("sources:\n  postgres:\n    - dsn: host=h sslrootcert=/nonexistent/ca.pem\n");
    assert!(error.starts_with("sources.postgres[0].dsn: sslrootcert: cannot read /nonexistent/ca.pem"), "{error}");
    assert!(error.ends_with("(line 3, column 12)"), "{error}");
}

#[test]
fn a_duplicate_outbox_table_is_located_in_the_file() {
    let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      outbox:\n        - table: outbox\n        - table: public.outbox\n        - table: OUTBOX\n";
    let error = load_error(yaml);
    assert_eq!(error, "sources.postgres[0].outbox[2].table: `outbox` is listed twice (line 7, column 18)");
}

#[test]
fn a_zero_count_cap_is_refused_where_it_is_written() {
    let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      outbox:\n        - {table: outbox, count_cap: 0}\n";
    let error = load_error(yaml);
    assert_eq!(error, "sources.postgres[0].outbox[0].count_cap: must be above zero (line 5, column 38)");
}

#[test]
fn injection_looking_table_names_are_refused_with_key_path_and_line() {
    let yaml = "sources:\n  postgres:\n    - dsn: host=127.0.0.1 dbname=inventory\n      outbox:\n        - table: \"public.outbox; drop table x\"\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.starts_with("sources.postgres[0].outbox[0].table: `public.outbox; drop table x`"), "{error}");
    assert!(error.ends_with("(line 5, column 18)"), "{error}");
    let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      outbox:\n        - table: outbox\n          timestamp_column: \"created_at)--\"\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.starts_with("sources.postgres[0].outbox[0].timestamp_column: "), "{error}");
    assert!(error.contains("(line 6, column"), "{error}");
}

#[test]
fn the_example_config_has_a_database() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
    let config = Config::from_file(&path).unwrap();
    let database = &config.sources.postgres[0];
    assert_eq!(database.db(), "inventory");
    assert_eq!(database.outbox[0].table.to_string(), "public.outbox");
    assert_eq!(database.outbox[0].count_cap, DEFAULT_COUNT_CAP);
}

#[test]
fn the_section_overrides_the_dsn_and_verification_needs_a_ca() {
    let yaml = "sources:\n  postgres:\n    - dsn: host=h sslmode=require\n      sslmode: disable\n";
    let config = Config::from_yaml(yaml).unwrap();
    assert_eq!(config.sources.postgres[0].sslmode(), SslMode::Disable);
    let yaml = "sources:\n  postgres:\n    - dsn: host=h\n";
    assert_eq!(Config::from_yaml(yaml).unwrap().sources.postgres[0].sslmode(), SslMode::Prefer, "libpq's default");

    let load = |yaml: &str| {
        let key = |index: usize, field: &str| format!("sources.postgres[{index}]{field}");
        postgres::validate(&RawConfig::from_yaml(yaml).unwrap().sources.postgres, &key).unwrap_err().to_string()
    };
    let error = load("sources:\n  postgres:\n    - dsn: host=h\n      sslmode: verify-full\n");
    assert!(error.starts_with("sources.postgres[0].ca_file: sslmode verify-full needs the CA"), "{error}");
    let error = load("sources:\n  postgres:\n    - dsn: host=h sslmode=verify-ca sslrootcert=/nonexistent/ca.pem\n");
    assert!(error.starts_with("sources.postgres[0].dsn: sslrootcert: cannot read /nonexistent/ca.pem"), "{error}");
    let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      sslmode: verify_full\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.starts_with("sources.postgres[0].sslmode: unknown variant `verify_full`"), "{error}");
}

#[test]
fn outbox_defaults() {
    let yaml = "sources:\n  postgres:\n    - dsn: host=h dbname=d\n      outbox:\n        - table: public.outbox\n";
    let config = Config::from_yaml(yaml).unwrap();
    let outbox = &config.sources.postgres[0].outbox[0];
    assert_eq!(outbox.timestamp_column.quoted(), "\"created_at\"");
    assert_eq!(outbox.count_cap, DEFAULT_COUNT_CAP);
}

/// The `--postgres.dsn` half of `flags_take_an_optional_name` (config::postgres).
#[test]
fn postgres_dsn_flags_name_their_databases() {
    let flags = ServeFlags {
        postgres_dsn: vec!["host=127.0.0.1 user=u dbname=inventory".into(), "orders=postgresql://u@h/shop".into()],
        ..ServeFlags::default()
    };
    let config = Config::load(&flags).unwrap();
    let names: Vec<String> = config.sources.postgres.iter().map(PostgresConfig::db).collect();
    assert_eq!(names, ["inventory", "orders"]);

    let flags = ServeFlags { postgres_dsn: vec!["host=h dbname=a".into(); 2], ..ServeFlags::default() };
    let error = Config::load(&flags).unwrap_err().to_string();
    assert!(error.contains("db `a` is configured twice"), "{error}");
}

/// The file half of `dsn_passwords_never_show` (config::postgres::dsn).
#[test]
fn dsn_errors_in_the_file_never_show_the_password() {
    let yaml = "sources:\n  postgres:\n    - dsn: \"postgresql://u:hunter2@h/db?port=notaport\"\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.starts_with("sources.postgres[0].dsn: invalid PostgreSQL DSN"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}
