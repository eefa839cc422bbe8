//! The pipeline the manifests are written for: a Strimzi `KafkaConnect` running Debezium with
//! the outbox connector, its Kafka cluster and the PostgreSQL database, by their in-cluster
//! names; and the exporter's configuration that watches it (the ConfigMap's `config.yaml`).
//! The NetworkPolicy opens exactly the ports named here; a test checks them against the
//! configuration as the exporter reads it.

use serde::Serialize;

use crate::generate::options::{GenerateError, yaml};

/// The namespace of Strimzi's resources.
pub const KAFKA_NAMESPACE: &str = "kafka";
/// The `KafkaConnect` resource; Strimzi names its pods `<name>-connect-<n>`.
pub const CONNECT: &str = "debezium-connect";
pub const CONNECT_REPLICAS: u32 = 2;
/// The `Kafka` resource the Connect cluster uses.
pub const KAFKA_CLUSTER: &str = "my-cluster";
/// Where PostgreSQL runs, and the labels of its pods.
pub const DATABASE_NAMESPACE: &str = "databases";
pub const DATABASE_SERVICE: &str = "postgres";
pub const DATABASE_POD: (&str, &str) = ("app.kubernetes.io/name", "postgresql");
pub const DATABASE: &str = "inventory";

pub const CONNECT_REST_PORT: u16 = 8083;
/// Strimzi's `metricsConfig` serves jmx_exporter here on every Connect pod.
pub const JMX_EXPORTER_PORT: u16 = 9404;
/// The plain listener of the `Kafka` resource.
pub const KAFKA_PORT: u16 = 9092;
pub const POSTGRES_PORT: u16 = 5432;

/// Strimzi's default topics of a `KafkaConnect` (`config.storage.topic`, ...).
pub const INTERNAL_TOPICS: [&str; 3] = ["connect-cluster-configs", "connect-cluster-offsets", "connect-cluster-status"];

/// Where the Deployment mounts the Secret; the config's `password_file`s point here.
pub const SECRETS_DIR: &str = "/etc/debezium-exporter/secrets";
/// The Secret's key holding the exporter's PostgreSQL password.
pub const POSTGRES_PASSWORD_KEY: &str = "postgres-password";

/// The labels Strimzi puts on the pods of a resource.
pub fn strimzi_pod(cluster: &str, kind: &str) -> [(&'static str, String); 2] {
    [("strimzi.io/cluster", cluster.to_owned()), ("strimzi.io/kind", kind.to_owned())]
}

#[derive(Serialize)]
struct ExporterConfig {
    sources: Sources,
}

#[derive(Serialize)]
struct Sources {
    connect: Vec<Connect>,
    postgres: Vec<Postgres>,
    kafka: Vec<Kafka>,
    jmx_exporter: Vec<JmxExporter>,
}

#[derive(Serialize)]
struct Connect {
    name: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Postgres {
    name: &'static str,
    dsn: String,
    password_file: String,
    outbox: Vec<Outbox>,
}

#[derive(Serialize)]
struct Outbox {
    table: &'static str,
    timestamp_column: &'static str,
}

#[derive(Serialize)]
struct Kafka {
    name: &'static str,
    bootstrap: String,
    internal_topics: Vec<&'static str>,
    topics: Vec<&'static str>,
}

#[derive(Serialize)]
struct JmxExporter {
    name: String,
    url: String,
    connect_cluster: &'static str,
}

/// The exporter's `config.yaml` for the pipeline above.
pub fn exporter_config() -> Result<String, GenerateError> {
    let service = |name: &str, namespace: &str| format!("{name}.{namespace}.svc");
    let config = ExporterConfig {
        sources: Sources {
            connect: vec![Connect {
                name: CONNECT,
                // Strimzi's REST API service: `<name>-connect-api`.
                url: format!(
                    "http://{}:{CONNECT_REST_PORT}",
                    service(&format!("{CONNECT}-connect-api"), KAFKA_NAMESPACE)
                ),
            }],
            postgres: vec![Postgres {
                name: DATABASE,
                dsn: format!(
                    "postgresql://debezium_exporter@{}:{POSTGRES_PORT}/{DATABASE}?sslmode=require",
                    service(DATABASE_SERVICE, DATABASE_NAMESPACE)
                ),
                password_file: format!("{SECRETS_DIR}/{POSTGRES_PASSWORD_KEY}"),
                outbox: vec![Outbox { table: "public.outbox", timestamp_column: "created_at" }],
            }],
            kafka: vec![Kafka {
                name: KAFKA_CLUSTER,
                bootstrap: format!(
                    "{}:{KAFKA_PORT}",
                    service(&format!("{KAFKA_CLUSTER}-kafka-bootstrap"), KAFKA_NAMESPACE)
                ),
                internal_topics: INTERNAL_TOPICS.to_vec(),
                topics: vec!["outbox\\.event\\..*"],
            }],
            // One entry per worker: each JVM shows only its own MBeans. Strimzi's pods have
            // stable names and DNS records under the headless service `<name>-connect`.
            jmx_exporter: (0..CONNECT_REPLICAS)
                .map(|pod| {
                    let pod = format!("{CONNECT}-connect-{pod}");
                    JmxExporter {
                        url: format!(
                            "http://{pod}.{}:{JMX_EXPORTER_PORT}/metrics",
                            service(&format!("{CONNECT}-connect"), KAFKA_NAMESPACE)
                        ),
                        name: pod,
                        connect_cluster: CONNECT,
                    }
                })
                .collect(),
        },
    };
    let header = "# debezium-exporter's configuration (config.example.yaml explains every key).\n\
                  # Secrets are files from the Secret `debezium-exporter`, never values here.\n";
    Ok(format!("{header}{}", yaml(&config)?))
}
