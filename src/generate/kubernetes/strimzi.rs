//! The Strimzi side of the example (docs/strimzi.md): the `KafkaConnect` with Debezium and its
//! jmx_exporter `metricsConfig`, the rules that config carries (in a dialect the exporter
//! reads), the outbox `KafkaConnector`, what lets Connect read the database password from a
//! Secret, and the NetworkPolicy that lets the exporter reach Connect's REST API, which
//! Strimzi otherwise opens to its operator only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::exporter;
use super::model::*;
use super::pipeline::*;
use crate::config::generate::Settings;
use crate::generate::options::{GenerateError, yaml};

const METRICS_CONFIG_MAP: &str = "debezium-connect-metrics";
const METRICS_KEY: &str = "metrics-config.yml";
/// The Secret holding the password Debezium connects with.
const DATABASE_SECRET: &str = "postgres-credentials";
const DEBEZIUM_VERSION: &str = "3.1.1.Final";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KafkaConnectSpec {
    version: &'static str,
    replicas: u32,
    bootstrap_servers: String,
    image: String,
    config: BTreeMap<&'static str, String>,
    metrics_config: MetricsConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricsConfig {
    #[serde(rename = "type")]
    kind: &'static str,
    value_from: ValueFrom,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ValueFrom {
    config_map_key_ref: KeyRef,
}

#[derive(Serialize)]
struct KeyRef {
    name: &'static str,
    key: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KafkaConnectorSpec {
    class: &'static str,
    tasks_max: u32,
    config: BTreeMap<&'static str, String>,
}

/// jmx_exporter's configuration.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JmxExporterConfig {
    lowercase_output_name: bool,
    lowercase_output_label_names: bool,
    rules: Vec<JmxRule>,
}

#[derive(Serialize)]
struct JmxRule {
    pattern: &'static str,
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<u32>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<&'static str, &'static str>,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn rule(pattern: &'static str, name: &'static str, labels: &[(&'static str, &'static str)]) -> JmxRule {
    JmxRule { pattern, name, value: None, labels: labels.iter().copied().collect(), kind: "GAUGE" }
}

/// Strimzi's `kafka-connect-metrics` rules for the Connect MBeans the exporter reads, and the
/// Debezium rules of Strimzi's Debezium guides (debezium-examples'), lower-cased as Strimzi
/// does: the dialects of tests/fixtures/jmx_exporter/strimzi.prom.
fn jmx_rules() -> JmxExporterConfig {
    let status = |pattern, name, labels| JmxRule { value: Some(1), ..rule(pattern, name, labels) };
    let task = [("connector", "$2"), ("task", "$3")];
    JmxExporterConfig {
        lowercase_output_name: true,
        lowercase_output_label_names: true,
        rules: vec![
            rule("kafka.connect<type=connect-worker-metrics><>([a-z-]+)", "kafka_connect_worker_$1", &[]),
            rule(
                "kafka.connect<type=connect-worker-metrics, connector=(.+)><>([a-z-]+)",
                "kafka_connect_worker_$2",
                &[("connector", "$1")],
            ),
            status(
                "kafka.connect<type=connector-metrics, connector=(.+)><>status: ([a-z-]+)",
                "kafka_connect_connector_status",
                &[("connector", "$1"), ("status", "$2")],
            ),
            status(
                "kafka.connect<type=connector-task-metrics, connector=(.+), task=(.+)><>status: ([a-z-]+)",
                "kafka_connect_connector_task_status",
                &[("connector", "$1"), ("task", "$2"), ("status", "$3")],
            ),
            rule(
                "kafka.connect<type=(.+)-metrics, connector=(.+), task=(.+)><>(.+-total|.+-count|.+-ms|.+-ratio|.+-rate|.+-avg|.+-failures|.+-requests|.+-timestamp|.+-logged|.+-errors|.+-retries|.+-skipped)",
                "kafka_connect_$1_$4",
                &task,
            ),
            rule(
                "debezium.([^:]+)<type=connector-metrics, context=([^,]+), server=([^,]+), key=([^>]+)><>RowsScanned",
                "debezium_metrics_RowsScanned",
                &[("plugin", "$1"), ("name", "$3"), ("context", "$2"), ("table", "$4")],
            ),
            rule(
                "debezium.([^:]+)<type=connector-metrics, context=([^,]+), server=([^>]+)>([^:]+)",
                "debezium_metrics_$4",
                &[("plugin", "$1"), ("name", "$3"), ("context", "$2")],
            ),
        ],
    }
}

fn meta(name: &str, labels: Labels, annotations: BTreeMap<&'static str, String>) -> Metadata {
    Metadata { name: name.to_owned(), namespace: KAFKA_NAMESPACE.to_owned(), labels, annotations }
}

fn strings<const N: usize>(pairs: [(&'static str, &str); N]) -> BTreeMap<&'static str, String> {
    pairs.into_iter().map(|(key, value)| (key, value.to_owned())).collect()
}

/// The example as one file of several documents.
pub fn manifest(settings: &Settings) -> Result<String, GenerateError> {
    let connect = Object {
        api_version: "kafka.strimzi.io/v1beta2",
        kind: "KafkaConnect",
        metadata: meta(CONNECT, Labels::new(), strings([("strimzi.io/use-connector-resources", "true")])),
        body: Spec {
            spec: KafkaConnectSpec {
                version: "3.9.0",
                replicas: CONNECT_REPLICAS,
                bootstrap_servers: format!("{KAFKA_CLUSTER}-kafka-bootstrap:{KAFKA_PORT}"),
                // Strimzi's Kafka image with debezium-connector-postgres in /opt/kafka/plugins.
                image: format!("debezium-connect:{DEBEZIUM_VERSION}"),
                config: strings([
                    ("group.id", "connect-cluster"),
                    ("config.storage.topic", INTERNAL_TOPICS[0]),
                    ("offset.storage.topic", INTERNAL_TOPICS[1]),
                    ("status.storage.topic", INTERNAL_TOPICS[2]),
                    ("config.storage.replication.factor", "-1"),
                    ("offset.storage.replication.factor", "-1"),
                    ("status.storage.replication.factor", "-1"),
                    ("config.providers", "secrets"),
                    ("config.providers.secrets.class", "io.strimzi.kafka.KubernetesSecretConfigProvider"),
                ]),
                metrics_config: MetricsConfig {
                    kind: "jmxPrometheusExporter",
                    value_from: ValueFrom { config_map_key_ref: KeyRef { name: METRICS_CONFIG_MAP, key: METRICS_KEY } },
                },
            },
        },
    };
    let metrics = Object {
        api_version: "v1",
        kind: "ConfigMap",
        metadata: meta(METRICS_CONFIG_MAP, Labels::new(), BTreeMap::new()),
        body: Data { data: BTreeMap::from([(METRICS_KEY, yaml(&jmx_rules())?)]) },
    };
    let connector = Object {
        api_version: "kafka.strimzi.io/v1beta2",
        kind: "KafkaConnector",
        metadata: meta("outbox-connector", labels(&[("strimzi.io/cluster", CONNECT)]), BTreeMap::new()),
        body: Spec {
            spec: KafkaConnectorSpec {
                class: "io.debezium.connector.postgresql.PostgresConnector",
                tasks_max: 1,
                config: strings([
                    ("database.hostname", &format!("{DATABASE_SERVICE}.{DATABASE_NAMESPACE}.svc")),
                    ("database.port", &POSTGRES_PORT.to_string()),
                    ("database.user", "debezium"),
                    // Resolved by the worker from the Secret: Connect's REST API (which the
                    // exporter reads) shows the reference, never the password.
                    ("database.password", &format!("${{secrets:{KAFKA_NAMESPACE}/{DATABASE_SECRET}:password}}")),
                    ("database.dbname", DATABASE),
                    ("plugin.name", "pgoutput"),
                    ("slot.name", "debezium"),
                    ("publication.name", "dbz_publication"),
                    ("publication.autocreate.mode", "disabled"),
                    ("topic.prefix", "outbox"),
                    ("table.include.list", "public.outbox"),
                    ("tombstones.on.delete", "false"),
                    ("transforms", "outbox"),
                    ("transforms.outbox.type", "io.debezium.transforms.outbox.EventRouter"),
                    ("transforms.outbox.table.field.event.key", "aggregateid"),
                    ("transforms.outbox.route.by.field", "aggregatetype"),
                    ("transforms.outbox.route.topic.replacement", "outbox.event.${routedByValue}"),
                    ("transforms.outbox.table.expand.json.payload", "true"),
                ]),
            },
        },
    };
    let mut documents = vec![yaml(&connect)?, yaml(&metrics)?, yaml(&connector)?];
    documents.extend(secret_access()?);
    documents.push(yaml(&rest_api_policy(settings))?);
    Ok(documents.join("---\n"))
}

#[derive(Serialize)]
struct Rules {
    rules: Vec<PolicyRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyRule {
    api_groups: Vec<&'static str>,
    resources: Vec<&'static str>,
    resource_names: Vec<&'static str>,
    verbs: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Binding {
    subjects: Vec<Subject>,
    role_ref: RoleRef,
}

#[derive(Serialize)]
struct Subject {
    kind: &'static str,
    name: String,
    namespace: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleRef {
    api_group: &'static str,
    kind: &'static str,
    name: &'static str,
}

/// The Role and RoleBinding that let Connect's service account (`<name>-connect`) read the
/// database Secret, which `KubernetesSecretConfigProvider` needs.
fn secret_access() -> Result<Vec<String>, GenerateError> {
    const ROLE: &str = "debezium-connect-secrets";
    let role = Object {
        api_version: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta(ROLE, Labels::new(), BTreeMap::new()),
        body: Rules {
            rules: vec![PolicyRule {
                api_groups: vec![""],
                resources: vec!["secrets"],
                resource_names: vec![DATABASE_SECRET],
                verbs: vec!["get"],
            }],
        },
    };
    let binding = Object {
        api_version: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta(ROLE, Labels::new(), BTreeMap::new()),
        body: Binding {
            subjects: vec![Subject {
                kind: "ServiceAccount",
                name: format!("{CONNECT}-connect"),
                namespace: KAFKA_NAMESPACE,
            }],
            role_ref: RoleRef { api_group: "rbac.authorization.k8s.io", kind: "Role", name: ROLE },
        },
    };
    Ok(vec![yaml(&role)?, yaml(&binding)?])
}

/// Strimzi's own NetworkPolicy opens the REST API (8083) to its operator only; policies add
/// up, so this one lets the exporter's pods in too (and its jmx_exporter port, open anyway).
fn rest_api_policy(settings: &Settings) -> Object<Spec<NetworkPolicySpec>> {
    let namespace = Selector { match_labels: labels(&[("kubernetes.io/metadata.name", &settings.namespace)]) };
    Object {
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(&format!("{CONNECT}-allow-debezium-exporter"), Labels::new(), BTreeMap::new()),
        body: Spec {
            spec: NetworkPolicySpec {
                pod_selector: Selector { match_labels: strimzi_pod(CONNECT, "KafkaConnect").into_iter().collect() },
                policy_types: vec!["Ingress"],
                ingress: vec![Rule {
                    from: Some(vec![Peer {
                        namespace_selector: namespace,
                        pod_selector: Selector { match_labels: exporter::app_labels() },
                    }]),
                    to: None,
                    ports: [CONNECT_REST_PORT, JMX_EXPORTER_PORT]
                        .map(|port| PolicyPort { protocol: "TCP", port })
                        .into(),
                }],
                egress: Vec::new(),
            },
        },
    }
}
