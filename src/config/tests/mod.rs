//! The configuration as a whole: loaded from files and flags, validated, every error with
//! its file, key, line and column. Tests of one value type or section that need no `Config`
//! sit beside their code.

use std::path::Path;
use std::time::Duration;

use super::*;

mod postgres;
mod sources;

/// `Config::load` of `yaml` as a file: the error without the file name it starts with.
fn load_error(yaml: &str) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), yaml).unwrap();
    let flags = ServeFlags { config_file: Some(file.path().to_owned()), ..ServeFlags::default() };
    let error = Config::load(&flags).unwrap_err().to_string();
    let prefix = format!("{}: ", file.path().display());
    error.strip_prefix(&prefix).unwrap_or_else(|| panic!("{error:?} does not name the file")).to_owned()
}

/// A PEM CA certificate made for the test.
fn ca_pem() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let ca = rcgen::generate_simple_self_signed(vec!["ca.test".to_owned()]).unwrap();
    std::fs::write(file.path(), ca.cert.pem()).unwrap();
    file
}

#[test]
fn the_example_config_parses_and_matches_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
    let config = Config::from_file(&path).expect("config.example.yaml parses");
    assert_eq!(config.web.listen_address, DEFAULT_LISTEN_ADDRESS);
    assert_eq!(config.web.telemetry_path, "/metrics");
    assert_eq!(config.poll.interval, PollConfig::default().interval);
    assert_eq!(config.poll.timeout, PollConfig::default().timeout);
    assert_eq!(config.poll.body_size_limit, PollConfig::default().body_size_limit);
    assert_eq!(config.sources.connect.len(), 1);
    assert_eq!(config.sources.connect[0].cluster(), "connect-1");
    assert_eq!(config.generate, GenerateSettings::default());
    assert_eq!(config.sources.jolokia.len(), 1);
    assert_eq!(config.sources.jolokia[0].connect_cluster.as_deref(), Some("connect-1"));
    assert_eq!(config.sources.jmx_exporter[0].target(), "connect-2-jmx");
    let kafka = &config.sources.kafka[0];
    assert_eq!(kafka.cluster(), "kafka-1");
    assert_eq!(kafka.internal_topics, crate::config::sources::default_internal_topics());
    assert!(kafka.topics[0].matches("outbox.event.order") && !kafka.topics[0].matches("outbox.eventXorder"));
}

#[test]
fn errors_name_the_key_path_line_and_column() {
    let yaml =
        "poll:\n  interval: 5s\nsources:\n  connect:\n    - url: http://a:8083\n    - name: b\n      url: not a url\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert_eq!(error, "sources.connect[1].url: relative URL without a base (line 7, column 12)");
}

#[test]
fn unknown_keys_are_refused_with_their_location() {
    let error = Config::from_yaml("pol:\n  interval: 5s\n").unwrap_err().to_string();
    assert!(error.starts_with("pol: unknown field `pol`, expected one of `web`, `poll`"), "{error}");
    assert!(error.ends_with("(line 1, column 1)"), "{error}");
    let error = Config::from_yaml("poll:\n  intervall: 5s\n").unwrap_err().to_string();
    assert!(error.starts_with("poll.intervall: unknown field `intervall`"), "{error}");
}

#[test]
fn durations_and_enums_are_checked() {
    let error = Config::from_yaml("poll:\n  timeout: soon\n").unwrap_err().to_string();
    assert!(error.starts_with("poll.timeout: "), "{error}");
    assert!(error.ends_with("(line 2, column 12)"), "{error}");
    let error = Config::from_yaml("log:\n  format: xml\n").unwrap_err().to_string();
    assert!(error.starts_with("log.format: unknown variant `xml`"), "{error}");
}

#[test]
fn flags_add_sources_and_override_the_file() {
    let flags = ServeFlags {
        connect_url: vec!["http://127.0.0.1:8083".into(), "prod=https://connect.example:443/".into()],
        listen_address: Some(":9999".into()),
        poll_interval: Some(Duration::from_secs(2)),
        ..ServeFlags::default()
    };
    let config = Config::load(&flags).unwrap();
    let clusters: Vec<String> = config.sources.connect.iter().map(ConnectConfig::cluster).collect();
    assert_eq!(clusters, ["127.0.0.1:8083", "prod"]);
    assert_eq!(config.listen_address().unwrap().port(), 9999);
    assert_eq!(config.poll.interval, Duration::from_secs(2));
}

#[test]
fn a_duplicate_from_a_flag_names_the_flag() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "sources:\n  connect:\n    - url: http://a:8083\n").unwrap();
    let flags = ServeFlags {
        config_file: Some(file.path().to_owned()),
        connect_url: vec!["http://a:8083".into()],
        ..ServeFlags::default()
    };
    let error = Config::load(&flags).unwrap_err().to_string();
    assert_eq!(error, "--connect.url[0]: cluster `a:8083` is configured twice; give each a distinct name");
}

#[test]
fn body_size_limits_take_a_unit_and_refuse_what_no_answer_fits_in() {
    let limit = |yaml: &str| Config::from_yaml(yaml).map(|config| config.poll.body_size_limit);
    assert_eq!(Config::from_yaml("").unwrap().poll.body_size_limit, 64 << 20);
    assert_eq!(limit("poll:\n  body_size_limit: 4MiB\n").unwrap(), 4 << 20);
    assert_eq!(limit("poll:\n  body_size_limit: 2GB\n").unwrap(), 2 << 30);
    assert_eq!(limit("poll:\n  body_size_limit: 4096\n").unwrap(), 4096);
    let error = load_error("poll:\n  body_size_limit: 100\n");
    assert_eq!(error, "poll.body_size_limit: 100 is too small: at least 1KiB (line 2, column 20)");
    let error = load_error("poll:\n  body_size_limit: 5 potatoes\n");
    assert!(error.starts_with("poll.body_size_limit: unknown unit \"potatoes\""), "{error}");
    let error = load_error("poll:\n  body_size_limit: 99999999999GiB\n");
    assert!(error.contains("is not a size"), "{error}");
}

#[test]
fn a_bad_listen_address_is_refused_where_it_is_written() {
    let error = load_error("web:\n  listen_address: localhost\n");
    assert!(error.starts_with("web.listen_address: `localhost`: invalid socket address"), "{error}");
    assert!(error.ends_with("(line 2, column 19)"), "{error}");
}

#[test]
fn a_poll_interval_below_half_a_second_is_refused() {
    let error = load_error("poll:\n  interval: 1ns\n");
    assert_eq!(
        error,
        "poll.interval: 1ns is too short: at least 500ms (every poll is a request to each upstream) (line 2, column 13)"
    );
    let flags = ServeFlags { poll_interval: Some(Duration::from_millis(100)), ..ServeFlags::default() };
    let error = Config::load(&flags).unwrap_err().to_string();
    assert!(error.starts_with("--poll.interval: 100ms is too short"), "{error}");
    assert!(Config::from_yaml("poll:\n  interval: 500ms\n").is_ok());
}

#[test]
fn a_poll_timeout_below_100ms_is_refused_for_every_source_too() {
    let error = load_error("poll:\n  timeout: 0s\n");
    assert!(error.starts_with("poll.timeout: 0s is too short: at least 100ms"), "{error}");
    let error = load_error("sources:\n  connect:\n    - url: http://c:8083\n      timeout: 1ns\n");
    assert!(error.starts_with("sources.connect[0].timeout: 1ns is too short"), "{error}");
    assert!(error.ends_with("(line 4, column 16)"), "{error}");
    let error = load_error("sources:\n  postgres:\n    - dsn: host=h\n      timeout: 10ms\n");
    assert!(error.starts_with("sources.postgres[0].timeout: 10ms is too short"), "{error}");
}

#[test]
fn a_byte_order_mark_is_ignored() {
    for yaml in ["\u{feff}poll:\n  interval: 5s\n", "\u{feff}---\npoll:\n  interval: 5s\n"] {
        let config = Config::from_yaml(yaml).unwrap_or_else(|error| panic!("{yaml:?}: {error}"));
        assert_eq!(config.poll.interval, Duration::from_secs(5));
    }
    assert!(Config::from_yaml("\u{feff}").is_ok());
    let error = load_error("\u{feff}poll:\n  interval: 1ns\n");
    assert!(error.ends_with("(line 2, column 13)"), "{error}");
}

#[test]
fn a_queue_remaining_ratio_outside_0_1_is_refused() {
    for ratio in ["5", "1", "0", "-0.5", "1.5"] {
        let error = load_error(&format!("generate:\n  queue_remaining_ratio: {ratio}\n"));
        assert!(error.starts_with("generate.queue_remaining_ratio: "), "{error}");
        assert!(error.contains("is not between 0 and 1"), "{error}");
        assert!(error.ends_with("(line 2, column 26)"), "{error}");
    }
    let config = Config::from_yaml("generate:\n  queue_remaining_ratio: 0.2\n").unwrap();
    assert_eq!(config.generate.queue_remaining_ratio, 0.2);
}

#[test]
fn load_checks_the_web_config_file_too() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "basic_auth_users:\n  alice: '$2y$10$abc'\n").unwrap();
    let flags = ServeFlags { web_config_file: Some(file.path().to_owned()), ..ServeFlags::default() };
    let error = Config::load(&flags).unwrap_err().to_string();
    assert!(error.contains("basic_auth_users.alice: not a bcrypt hash the server can use"), "{error}");
}

#[test]
fn every_way_to_a_config_checks_what_spans_keys() {
    let yaml = "sources:\n  jolokia:\n    - url: http://w:8778/jolokia\n      connect_cluster: prod\n";
    let unlocated = "sources.jolokia[0].connect_cluster: no sources.connect entry is named `prod`";
    let error = RawConfig::from_yaml(yaml).and_then(Config::try_from).unwrap_err().to_string();
    assert_eq!(error, unlocated);
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert_eq!(error, format!("{unlocated} (line 4, column 24)"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), yaml).unwrap();
    let error = Config::from_file(file.path()).unwrap_err().to_string();
    assert_eq!(error, format!("{}: {unlocated} (line 4, column 24)", file.path().display()));
    assert_eq!(load_error(yaml), format!("{unlocated} (line 4, column 24)"));
}

#[test]
fn a_web_config_file_named_in_the_config_file_is_said_of_itself() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "web:\n  config_file: /nonexistent/web.yml\n").unwrap();
    let flags = ServeFlags { config_file: Some(file.path().to_owned()), ..ServeFlags::default() };
    let whole = Config::load(&flags).unwrap_err().to_string();
    assert!(whole.starts_with("cannot read /nonexistent/web.yml: No such file"), "{whole}");

    let web = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(web.path(), "basic_auth_users:\n  alice: '$2y$10$abc'\n").unwrap();
    std::fs::write(file.path(), format!("web:\n  config_file: {}\n", web.path().display())).unwrap();
    let error = Config::load(&flags).unwrap_err().to_string();
    let expected = format!("{}: basic_auth_users.alice: not a bcrypt hash the server can use", web.path().display());
    assert!(error.starts_with(&expected), "{error}");
    assert!(error.ends_with("(line 2, column 10)"), "{error}");
    assert!(Config::load(&ServeFlags::default()).unwrap().web_file.basic_auth_users.is_empty());
}
