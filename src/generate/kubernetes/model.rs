//! The Kubernetes objects the manifests are made of, as the API spells them: only the fields
//! we set, so a typo is a compile error here and an unknown field a schema error in the test.

use std::collections::BTreeMap;

use serde::Serialize;

pub type Labels = BTreeMap<&'static str, String>;

/// `apiVersion`, `kind` and `metadata` of every object.
#[derive(Serialize)]
pub struct Object<Spec: Serialize> {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    #[serde(flatten)]
    pub body: Spec,
}

#[derive(Serialize)]
pub struct Metadata {
    pub name: String,
    pub namespace: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
pub struct Spec<T: Serialize> {
    pub spec: T,
}

#[derive(Serialize)]
pub struct Data {
    pub data: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    pub match_labels: Labels,
}

// apps/v1 Deployment.

#[derive(Serialize)]
pub struct DeploymentSpec {
    pub replicas: u32,
    pub selector: Selector,
    pub template: PodTemplate,
}

#[derive(Serialize)]
pub struct PodTemplate {
    pub metadata: PodMetadata,
    pub spec: PodSpec,
}

#[derive(Serialize)]
pub struct PodMetadata {
    pub labels: Labels,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    pub automount_service_account_token: bool,
    pub security_context: PodSecurityContext,
    pub containers: Vec<Container>,
    pub volumes: Vec<Volume>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    pub run_as_non_root: bool,
    pub run_as_user: u32,
    pub run_as_group: u32,
    pub fs_group: u32,
    pub seccomp_profile: SeccompProfile,
}

#[derive(Serialize)]
pub struct SeccompProfile {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: &'static str,
    pub image: String,
    pub image_pull_policy: &'static str,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub ports: Vec<ContainerPort>,
    pub resources: Resources,
    pub liveness_probe: Probe,
    pub readiness_probe: Probe,
    pub security_context: ContainerSecurityContext,
    pub volume_mounts: Vec<VolumeMount>,
}

#[derive(Serialize)]
pub struct EnvVar {
    pub name: &'static str,
    pub value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: &'static str,
    pub container_port: u16,
    pub protocol: &'static str,
}

#[derive(Serialize)]
pub struct Resources {
    pub requests: BTreeMap<&'static str, String>,
    pub limits: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub http_get: HttpGet,
    pub period_seconds: u32,
    pub timeout_seconds: u32,
    pub failure_threshold: u32,
}

#[derive(Serialize)]
pub struct HttpGet {
    pub path: &'static str,
    pub port: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerSecurityContext {
    pub allow_privilege_escalation: bool,
    pub read_only_root_filesystem: bool,
    pub run_as_non_root: bool,
    pub capabilities: Capabilities,
}

#[derive(Serialize)]
pub struct Capabilities {
    pub drop: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: &'static str,
    pub mount_path: &'static str,
    pub read_only: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_map: Option<ConfigMapVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretVolume>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapVolume {
    pub name: String,
    pub default_mode: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVolume {
    pub secret_name: String,
    pub default_mode: u32,
}

// v1 Service.

#[derive(Serialize)]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub selector: Labels,
    pub ports: Vec<ServicePort>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    pub name: &'static str,
    pub port: u16,
    pub target_port: &'static str,
    pub protocol: &'static str,
}

// monitoring.coreos.com/v1 ServiceMonitor.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: Selector,
    pub namespace_selector: NamespaceNames,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceNames {
    pub match_names: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub port: &'static str,
    pub path: &'static str,
    pub interval: &'static str,
    pub scrape_timeout: &'static str,
    pub relabelings: Vec<Relabeling>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relabeling {
    pub action: &'static str,
    pub target_label: &'static str,
    pub replacement: String,
}

// networking.k8s.io/v1 NetworkPolicy.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    pub pod_selector: Selector,
    pub policy_types: Vec<&'static str>,
    pub ingress: Vec<Rule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
}

/// An ingress (`from`) or egress (`to`) rule.
#[derive(Serialize)]
pub struct Rule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<Peer>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<Peer>>,
    pub ports: Vec<PolicyPort>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub namespace_selector: Selector,
    pub pod_selector: Selector,
}

#[derive(Serialize)]
pub struct PolicyPort {
    pub protocol: &'static str,
    pub port: u16,
}

/// `kustomization.yaml`: `kubectl apply -k` applies the listed files.
#[derive(Serialize)]
pub struct Kustomization {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub resources: Vec<&'static str>,
}

/// Labels from `(name, value)` pairs.
pub fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(name, value)| (*name, (*value).to_owned())).collect()
}
