//! Kubernetes manifests: `deploy/kubernetes/` (the exporter's Deployment, Service,
//! ServiceMonitor, NetworkPolicy, its config as a ConfigMap, the PrometheusRule and the
//! dashboard ConfigMap, and a `kustomization.yaml` listing them) and `deploy/strimzi/` (the
//! Strimzi side of the same example pipeline, docs/strimzi.md). Objects are typed in
//! [`model`]; the pipeline's names and ports in [`pipeline`]; docs/deploy.md explains them.

mod exporter;
mod model;
pub mod pipeline;
mod strimzi;

pub use exporter::{LIVENESS_PATH, PORT, READINESS_PATH, SECRET};

use super::options::{GenerateError, yaml};
use crate::config::generate::Settings;
use model::Kustomization;

/// The directory `kubectl apply -k` takes.
pub const DIR: &str = "deploy/kubernetes";
/// The Strimzi example, one file of several documents.
pub const STRIMZI_EXAMPLE: &str = "deploy/strimzi/debezium-connect.yaml";

/// Every manifest, path → content (without the generated-file header), given the
/// PrometheusRule and the dashboard ConfigMap that `generate` also writes elsewhere.
pub fn files(
    settings: &Settings,
    prometheus_rule: String,
    dashboard_config_map: String,
) -> Result<Vec<(&'static str, String)>, GenerateError> {
    let config = pipeline::exporter_config()?;
    let resources: Vec<(&'static str, String)> = vec![
        ("deploy/kubernetes/config.yaml", yaml(&exporter::config_map(settings, config))?),
        ("deploy/kubernetes/deployment.yaml", yaml(&exporter::deployment(settings))?),
        ("deploy/kubernetes/service.yaml", yaml(&exporter::service(settings))?),
        ("deploy/kubernetes/servicemonitor.yaml", yaml(&exporter::service_monitor(settings))?),
        ("deploy/kubernetes/networkpolicy.yaml", yaml(&exporter::network_policy(settings))?),
        ("deploy/kubernetes/prometheusrule.yaml", prometheus_rule),
        ("deploy/kubernetes/dashboard.yaml", dashboard_config_map),
    ];
    let kustomization = Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: resources.iter().map(|(path, _)| path.trim_start_matches("deploy/kubernetes/")).collect(),
    };
    let mut files = resources;
    files.push(("deploy/kubernetes/kustomization.yaml", yaml(&kustomization)?));
    files.push((STRIMZI_EXAMPLE, strimzi::manifest(settings)?));
    Ok(files)
}
