//! The `sources` section: Connect, Kafka and the JMX bridges, their values and the checks
//! across entries.

use super::{ca_pem, load_error};
use crate::config::{Config, JmxBridgeConfig, KafkaConfig, RawConfig, SaslMechanism, ServeFlags};

#[test]
fn kafka_names_match_exactly_and_regexes_match_whole_names() {
    let yaml =
        "sources:\n  kafka:\n    - bootstrap: 'a:9092, b:9093'\n      topics: [outbox.event.order, 'cdc\\..*']\n";
    let config = Config::from_yaml(yaml).unwrap();
    let kafka = &config.sources.kafka[0];
    assert_eq!(kafka.cluster(), "a:9092,b:9093");
    assert_eq!(kafka.internal_topics, ["connect-configs", "connect-offsets", "connect-status"]);
    let [name, regex] = &kafka.topics[..] else { panic!("{:?}", kafka.topics) };
    assert!(name.matches("outbox.event.order"));
    assert!(!name.matches("outbox-event-order") && !name.matches("outbox.event.orders"));
    assert!(regex.matches("cdc.inventory.public.orders") && !regex.matches("xcdc.a"));

    let error = Config::from_yaml("sources:\n  kafka:\n    - bootstrap: a:9092\n      consumer_groups: ['(']\n")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("sources.kafka[0].consumer_groups[0]: regex parse error"), "{error}");
    let error = Config::from_yaml("sources:\n  kafka:\n    - bootstrap: a\n").unwrap_err().to_string();
    assert!(error.starts_with("sources.kafka[0].bootstrap: `a` is not HOST:PORT"), "{error}");
}

#[test]
fn kafka_sasl_password_never_prints() {
    // SAFETY: tests in this module do not read this variable concurrently.
    unsafe { std::env::set_var("DBZ_EXPORTER_TEST_KAFKA_PASSWORD", "s3cret") };
    let yaml = "sources:\n  kafka:\n    - bootstrap: a:9093\n      security:\n        sasl: {mechanism: SCRAM-SHA-512, username: u, password: \"${DBZ_EXPORTER_TEST_KAFKA_PASSWORD}\"}\n        tls: {}\n";
    let config = Config::from_yaml(yaml).unwrap();
    let sasl = config.sources.kafka[0].security.sasl.as_ref().unwrap();
    assert_eq!((sasl.mechanism, sasl.password.expose()), (SaslMechanism::ScramSha512, "s3cret"));
    assert!(!format!("{config:?}").contains("s3cret"));
    let error = Config::from_yaml("sources:\n  kafka:\n    - bootstrap: a:9093\n      security: {sasl: {mechanism: GSSAPI, username: u, password: p}}\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown variant `GSSAPI`"), "{error}");
}

#[test]
fn kafka_brokers_flag_names_the_cluster() {
    let flags = ServeFlags {
        kafka_brokers: vec!["127.0.0.1:9092".into(), "prod=k1:9092,k2:9092".into()],
        ..ServeFlags::default()
    };
    let config = Config::load(&flags).unwrap();
    let clusters: Vec<String> = config.sources.kafka.iter().map(KafkaConfig::cluster).collect();
    assert_eq!(clusters, ["127.0.0.1:9092", "prod"]);
    let flags = ServeFlags { kafka_brokers: vec!["k1".into()], ..ServeFlags::default() };
    assert!(Config::load(&flags).unwrap_err().to_string().starts_with("--kafka.brokers[0]: `k1` is not HOST:PORT"));
}

#[test]
fn secrets_come_from_env_or_file_and_never_print() {
    // SAFETY: tests in this module do not read this variable concurrently.
    unsafe { std::env::set_var("DBZ_EXPORTER_TEST_PASSWORD", "hunter2") };
    let yaml = "sources:\n  connect:\n    - url: https://c:8083\n      basic_auth: {username: u, password: \"${DBZ_EXPORTER_TEST_PASSWORD}\"}\n";
    let config = Config::from_yaml(yaml).unwrap();
    let auth = config.sources.connect[0].basic_auth.as_ref().unwrap();
    assert_eq!(auth.password.expose(), "hunter2");
    assert!(!format!("{config:?}").contains("hunter2"));

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "from-file\n").unwrap();
    let yaml = format!(
        "sources:\n  connect:\n    - url: https://c:8083\n      basic_auth: {{username: u, password_file: {}}}\n",
        file.path().display()
    );
    let config = Config::from_yaml(&yaml).unwrap();
    assert_eq!(config.sources.connect[0].basic_auth.as_ref().unwrap().password.expose(), "from-file");

    let yaml = "sources:\n  connect:\n    - url: https://c:8083\n      basic_auth: {username: u, password: \"${DBZ_EXPORTER_TEST_UNSET}\"}\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.contains("environment variable DBZ_EXPORTER_TEST_UNSET is not set"), "{error}");
    assert!(error.starts_with("sources.connect[0].basic_auth"), "{error}");
}

#[test]
fn credentials_in_urls_are_refused() {
    let error = Config::from_yaml("sources:\n  connect:\n    - url: http://admin:pw@c:8083\n").unwrap_err().to_string();
    assert!(error.contains("use basic_auth"), "{error}");
    assert!(!error.contains("pw@"), "{error}");
}

#[test]
fn jmx_bridges_from_flags_and_file() {
    let flags = ServeFlags {
        jolokia_url: vec!["w1=http://connect-1:8778/jolokia".into(), "http://connect-2:8778/jolokia".into()],
        jmx_exporter_url: vec!["http://connect-3:9404/metrics".into()],
        ..ServeFlags::default()
    };
    let config = Config::load(&flags).unwrap();
    let targets: Vec<String> = config.sources.jolokia.iter().map(JmxBridgeConfig::target).collect();
    assert_eq!(targets, ["w1", "connect-2:8778"]);
    assert_eq!(config.sources.jmx_exporter[0].target(), "connect-3:9404");

    let yaml = "sources:\n  jolokia:\n    - url: http://w:8778/jolokia\n      connect_cluster: prod\n";
    let error = RawConfig::from_yaml(yaml).and_then(Config::try_from).unwrap_err().to_string();
    assert_eq!(error, "sources.jolokia[0].connect_cluster: no sources.connect entry is named `prod`");
    let yaml = "sources:\n  jmx_exporter:\n    - url: http://w:9404/metrics\n      cluster: prod\n";
    let error = Config::from_yaml(yaml).unwrap_err().to_string();
    assert!(error.starts_with("sources.jmx_exporter[0].cluster: unknown field `cluster`"), "{error}");
}

#[test]
fn duplicate_clusters_are_refused() {
    let flags =
        ServeFlags { connect_url: vec!["http://a:8083".into(), "http://a:8083/".into()], ..ServeFlags::default() };
    let error = Config::load(&flags).unwrap_err().to_string();
    assert!(error.contains("cluster `a:8083` is configured twice"), "{error}");
}

#[test]
fn a_duplicate_connect_cluster_is_located_in_the_file() {
    let yaml = "sources:\n  connect:\n    - {name: a, url: 'http://a:8083'}\n    - name: a\n      url: http://b:8083\n";
    let error = load_error(yaml);
    assert_eq!(
        error,
        "sources.connect[1].name: cluster `a` is configured twice; give each a distinct name (line 4, column 13)"
    );
}

#[test]
fn a_duplicate_default_name_points_at_the_entry() {
    let error = load_error("sources:\n  connect:\n    - url: http://a:8083\n    - url: http://a:8083/\n");
    assert!(error.starts_with("sources.connect[1].name: cluster `a:8083` is configured twice"), "{error}");
    assert!(error.ends_with("(line 4, column 7)"), "{error}");
}

#[test]
fn a_duplicate_kafka_cluster_is_located_in_the_file() {
    let error =
        load_error("sources:\n  kafka:\n    - {name: k, bootstrap: 'a:9092'}\n    - {name: k, bootstrap: 'b:9092'}\n");
    assert!(error.starts_with("sources.kafka[1].name: cluster `k` is configured twice"), "{error}");
    assert!(error.ends_with("(line 4, column 14)"), "{error}");
}

#[test]
fn a_duplicate_bridge_target_is_located_in_the_file() {
    let error =
        load_error("sources:\n  jmx_exporter:\n    - url: http://w:9404/metrics\n    - url: http://w:9404/metrics\n");
    assert!(error.starts_with("sources.jmx_exporter[1].name: target `w:9404` is configured twice"), "{error}");
    assert!(error.ends_with("(line 4, column 7)"), "{error}");
}

#[test]
fn an_unknown_connect_cluster_is_located_in_the_file() {
    let error = load_error("sources:\n  jolokia:\n    - url: http://w:8778/jolokia\n      connect_cluster: prod\n");
    assert_eq!(
        error,
        "sources.jolokia[0].connect_cluster: no sources.connect entry is named `prod` (line 4, column 24)"
    );
}

#[test]
fn a_ca_file_that_is_not_pem_is_refused_where_it_is_written() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "not a certificate\n").unwrap();
    let path = file.path().display();
    for (yaml, key, column) in [
        (
            format!("sources:\n  connect:\n    - url: https://c:8083\n      tls: {{ca_file: {path}}}\n"),
            "sources.connect[0].tls.ca_file",
            22,
        ),
        (
            format!("sources:\n  kafka:\n    - bootstrap: k:9093\n      security: {{tls: {{ca_file: {path}}}}}\n"),
            "sources.kafka[0].security.tls.ca_file",
            33,
        ),
        (
            format!("sources:\n  postgres:\n    - dsn: host=h\n      ca_file: {path}\n"),
            "sources.postgres[0].ca_file",
            16,
        ),
    ] {
        let error = load_error(&yaml);
        assert_eq!(
            error,
            format!("{key}: {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----) (line 4, column {column})")
        );
    }
    let good = ca_pem();
    let yaml =
        format!("sources:\n  connect:\n    - url: https://c:8083\n      tls: {{ca_file: {}}}\n", good.path().display());
    assert!(Config::from_yaml(&yaml).is_ok());
}

#[test]
fn a_missing_ca_file_is_refused_where_it_is_written() {
    let error = load_error(
        "sources:\n  jolokia:\n    - url: https://w:8778/jolokia\n      tls:\n        ca_file: /nonexistent/ca.pem\n",
    );
    assert!(
        error.starts_with("sources.jolokia[0].tls.ca_file: cannot read /nonexistent/ca.pem: No such file"),
        "{error}"
    );
    assert!(error.ends_with("(line 5, column 18)"), "{error}");
}
