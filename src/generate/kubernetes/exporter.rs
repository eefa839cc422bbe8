//! The exporter's own objects: its Deployment, Service, ServiceMonitor, NetworkPolicy and the
//! ConfigMap holding its configuration.

use std::collections::BTreeMap;

use super::model::*;
use super::pipeline::{self, strimzi_pod};
use crate::config::generate::Settings;

pub const NAME: &str = "debezium-exporter";
/// The Secret the operator creates (`kubectl create secret generic`), mounted as files.
pub const SECRET: &str = "debezium-exporter";
pub const CONFIG_MAP: &str = "debezium-exporter-config";
pub const PORT: u16 = 9543;
pub const PORT_NAME: &str = "http-metrics";
/// The routes `src/server.rs` serves for the kubelet (a test reads them there).
pub const LIVENESS_PATH: &str = "/healthz";
pub const READINESS_PATH: &str = "/readyz";
const CONFIG_DIR: &str = "/etc/debezium-exporter/config";
/// The image the Dockerfile builds; its user, 65534 (nobody), is the pod's.
const USER: u32 = 65534;

/// Memory from the measurements in docs/soak.md and docs/performance.md. Idle: 10 MiB. A
/// 2,000-connector Connect cluster (4 beans each) polled every second: VmHWM 39.8 MiB as the
/// binary tunes malloc itself, 58.2 MiB with glibc's defaults. The request covers that size,
/// the limit an untuned peak with room; 8,000 connectors peaked at 144.5 MiB (177 MiB after a
/// plain-text scrape as well): raise the limit to 512Mi there.
const MEMORY_REQUEST: &str = "64Mi";
const MEMORY_LIMIT: &str = "256Mi";
/// A poll is mostly waiting; rendering 2,000 connectors takes tens of milliseconds.
const CPU_REQUEST: &str = "50m";
const CPU_LIMIT: &str = "1";
/// One malloc arena and large buffers mapped on their own (docs/soak.md). The binary sets the
/// same itself when no `MALLOC_*` variable is set; the manifest says so explicitly, so a team
/// that changes one sees the other.
const GLIBC_TUNING: [(&str, &str); 2] = [("MALLOC_ARENA_MAX", "1"), ("MALLOC_MMAP_THRESHOLD_", "131072")];

pub fn app_labels() -> Labels {
    labels(&[("app.kubernetes.io/name", NAME), ("app.kubernetes.io/component", "exporter")])
}

fn metadata(name: &str, settings: &Settings, extra: &[(&'static str, &str)]) -> Metadata {
    let mut labels = app_labels();
    labels.extend(extra.iter().map(|(label, value)| (*label, (*value).to_owned())));
    Metadata { name: name.to_owned(), namespace: settings.namespace.clone(), labels, annotations: BTreeMap::new() }
}

fn probe(path: &'static str, period_seconds: u32) -> Probe {
    Probe { http_get: HttpGet { path, port: PORT_NAME }, period_seconds, timeout_seconds: 5, failure_threshold: 3 }
}

pub fn deployment(settings: &Settings) -> Object<Spec<DeploymentSpec>> {
    let container = Container {
        name: "exporter",
        image: format!("{NAME}:{}", env!("CARGO_PKG_VERSION")),
        image_pull_policy: "IfNotPresent",
        args: vec![format!("--config.file={CONFIG_DIR}/config.yaml"), format!("--web.listen-address=:{PORT}")],
        env: GLIBC_TUNING.iter().map(|(name, value)| EnvVar { name, value: (*value).to_owned() }).collect(),
        ports: vec![ContainerPort { name: PORT_NAME, container_port: PORT, protocol: "TCP" }],
        resources: Resources {
            requests: BTreeMap::from([("cpu", CPU_REQUEST.to_owned()), ("memory", MEMORY_REQUEST.to_owned())]),
            limits: BTreeMap::from([("cpu", CPU_LIMIT.to_owned()), ("memory", MEMORY_LIMIT.to_owned())]),
        },
        // Alive while it serves at all; ready once every source has been polled once.
        liveness_probe: probe(LIVENESS_PATH, 10),
        readiness_probe: probe(READINESS_PATH, 5),
        security_context: ContainerSecurityContext {
            allow_privilege_escalation: false,
            read_only_root_filesystem: true,
            run_as_non_root: true,
            capabilities: Capabilities { drop: vec!["ALL"] },
        },
        volume_mounts: vec![
            VolumeMount { name: "config", mount_path: CONFIG_DIR, read_only: true },
            VolumeMount { name: "secrets", mount_path: pipeline::SECRETS_DIR, read_only: true },
        ],
    };
    Object {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: metadata(NAME, settings, &[]),
        body: Spec {
            spec: DeploymentSpec {
                // Two replicas of this Deployment are an HA pair: the rules hold (docs/deploy.md).
                replicas: 1,
                selector: Selector { match_labels: app_labels() },
                template: PodTemplate {
                    metadata: PodMetadata { labels: app_labels() },
                    spec: PodSpec {
                        // It never talks to the Kubernetes API.
                        automount_service_account_token: false,
                        security_context: PodSecurityContext {
                            run_as_non_root: true,
                            run_as_user: USER,
                            run_as_group: USER,
                            fs_group: USER,
                            seccomp_profile: SeccompProfile { kind: "RuntimeDefault" },
                        },
                        containers: vec![container],
                        volumes: vec![
                            Volume {
                                name: "config",
                                config_map: Some(ConfigMapVolume { name: CONFIG_MAP.to_owned(), default_mode: 0o444 }),
                                secret: None,
                            },
                            Volume {
                                name: "secrets",
                                config_map: None,
                                // Readable by the pod's group only; the exporter re-reads a
                                // password file on every reconnect, so a rotated Secret is used.
                                secret: Some(SecretVolume { secret_name: SECRET.to_owned(), default_mode: 0o440 }),
                            },
                        ],
                    },
                },
            },
        },
    }
}

pub fn service(settings: &Settings) -> Object<Spec<ServiceSpec>> {
    Object {
        api_version: "v1",
        kind: "Service",
        metadata: metadata(NAME, settings, &[]),
        body: Spec {
            spec: ServiceSpec {
                kind: "ClusterIP",
                selector: app_labels(),
                ports: vec![ServicePort { name: PORT_NAME, port: PORT, target_port: PORT_NAME, protocol: "TCP" }],
            },
        },
    }
}

/// Scraped by kube-prometheus-stack (its `release` label), every 30 s: the exporter polls every
/// 10 s and serves its latest poll. `job` is set to the one the alerts watch.
pub fn service_monitor(settings: &Settings) -> Object<Spec<ServiceMonitorSpec>> {
    Object {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: metadata(NAME, settings, &[("release", &settings.release)]),
        body: Spec {
            spec: ServiceMonitorSpec {
                selector: Selector { match_labels: app_labels() },
                namespace_selector: NamespaceNames { match_names: vec![settings.namespace.clone()] },
                endpoints: vec![Endpoint {
                    port: PORT_NAME,
                    path: "/metrics",
                    interval: "30s",
                    scrape_timeout: "10s",
                    relabelings: vec![Relabeling {
                        action: "replace",
                        target_label: "job",
                        replacement: settings.exporter_job.clone(),
                    }],
                }],
            },
        },
    }
}

pub fn config_map(settings: &Settings, config: String) -> Object<Data> {
    Object {
        api_version: "v1",
        kind: "ConfigMap",
        metadata: metadata(CONFIG_MAP, settings, &[]),
        body: Data { data: BTreeMap::from([("config.yaml", config)]) },
    }
}

/// In: Prometheus's scrapes. Out: DNS and the four upstreams of the pipeline, on their ports.
pub fn network_policy(settings: &Settings) -> Object<Spec<NetworkPolicySpec>> {
    let namespace = |name: &str| Selector { match_labels: labels(&[("kubernetes.io/metadata.name", name)]) };
    let peer = |in_namespace: &str, pods: Labels| Peer {
        namespace_selector: namespace(in_namespace),
        pod_selector: Selector { match_labels: pods },
    };
    let tcp = |ports: &[u16]| ports.iter().map(|port| PolicyPort { protocol: "TCP", port: *port }).collect();
    let to = |peer: Peer, ports: Vec<PolicyPort>| Rule { from: None, to: Some(vec![peer]), ports };
    let strimzi = |cluster: &str, kind: &str| strimzi_pod(cluster, kind).into_iter().collect::<Labels>();
    let dns = vec![PolicyPort { protocol: "UDP", port: 53 }, PolicyPort { protocol: "TCP", port: 53 }];
    Object {
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: metadata(NAME, settings, &[]),
        body: Spec {
            spec: NetworkPolicySpec {
                pod_selector: Selector { match_labels: app_labels() },
                policy_types: vec!["Ingress", "Egress"],
                ingress: vec![Rule {
                    from: Some(vec![peer(&settings.namespace, labels(&[("app.kubernetes.io/name", "prometheus")]))]),
                    to: None,
                    ports: tcp(&[PORT]),
                }],
                egress: vec![
                    to(peer("kube-system", labels(&[("k8s-app", "kube-dns")])), dns),
                    to(
                        peer(pipeline::KAFKA_NAMESPACE, strimzi(pipeline::CONNECT, "KafkaConnect")),
                        tcp(&[pipeline::CONNECT_REST_PORT, pipeline::JMX_EXPORTER_PORT]),
                    ),
                    to(
                        peer(pipeline::KAFKA_NAMESPACE, strimzi(pipeline::KAFKA_CLUSTER, "Kafka")),
                        tcp(&[pipeline::KAFKA_PORT]),
                    ),
                    to(
                        peer(pipeline::DATABASE_NAMESPACE, labels(&[pipeline::DATABASE_POD])),
                        tcp(&[pipeline::POSTGRES_PORT]),
                    ),
                ],
            },
        },
    }
}
