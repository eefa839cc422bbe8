//! deploy/: the manifests `generate` writes fit together (the Service selects the pods, the
//! ServiceMonitor the Service, the NetworkPolicy opens exactly the upstreams the config names,
//! the probes hit routes the server has), the config is one the exporter accepts, and (with
//! scripts/k8s-schemas) every object validates against the Kubernetes API schemas and the
//! Prometheus Operator's; kustomize renders the directory.

use crate::common;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use debezium_exporter::config::Config;
use debezium_exporter::generate::{self, Options, Settings, kubernetes};
use serde_json::Value;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every object of every generated manifest under deploy/: (file#index, object).
fn objects() -> Vec<(String, Value)> {
    let files = generate::files(&Options::default()).unwrap();
    let mut objects = Vec::new();
    for (path, text) in files.iter().filter(|(path, _)| path.starts_with("deploy/") && path.ends_with(".yaml")) {
        for (index, document) in text.split("\n---\n").enumerate() {
            let object: Value = serde_norway::from_str(document).unwrap_or_else(|error| panic!("{path}: {error}"));
            objects.push((format!("{path}#{index}"), object));
        }
    }
    objects
}

fn one<'a>(objects: &'a [(String, Value)], kind: &str, file: &str) -> &'a Value {
    let found: Vec<&Value> = objects
        .iter()
        .filter(|(source, object)| source.starts_with(file) && object["kind"] == kind)
        .map(|(_, o)| o)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} in {file}");
    found[0]
}

fn is_subset(labels: &Value, of: &Value) -> bool {
    labels.as_object().unwrap().iter().all(|(name, value)| &of[name] == value)
}

fn port(url: &str) -> u64 {
    let authority = url.split("://").nth(1).unwrap_or(url).split(['/', '?']).next().unwrap();
    authority.rsplit(':').next().unwrap().parse().unwrap_or_else(|_| panic!("no port in {url}"))
}

#[test]
fn the_exporter_manifests_fit_together_and_are_locked_down() {
    let _room = common::room::enter(module_path!());
    let objects = objects();
    let dir = "deploy/kubernetes/";
    let deployment = one(&objects, "Deployment", dir);
    let pod = &deployment["spec"]["template"];
    let container = &pod["spec"]["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"][0], "ALL");
    assert!(
        container["resources"]["limits"]["memory"].is_string()
            && container["resources"]["requests"]["memory"].is_string()
    );
    // The probes hit routes the server serves.
    let server = std::fs::read_to_string(repository().join("src/server.rs")).unwrap();
    for (probe, path) in [("livenessProbe", kubernetes::LIVENESS_PATH), ("readinessProbe", kubernetes::READINESS_PATH)]
    {
        assert_eq!(container[probe]["httpGet"]["path"], path);
        assert!(server.contains(&format!(".route(\"{path}\"")), "src/server.rs serves no {path}");
    }
    // Service → pods, ServiceMonitor → Service, by labels and port name.
    let service = one(&objects, "Service", dir);
    assert!(is_subset(&service["spec"]["selector"], &pod["metadata"]["labels"]));
    let port_name = &container["ports"][0]["name"];
    assert_eq!(&service["spec"]["ports"][0]["targetPort"], port_name);
    let monitor = one(&objects, "ServiceMonitor", dir);
    assert!(is_subset(&monitor["spec"]["selector"]["matchLabels"], &service["metadata"]["labels"]));
    assert_eq!(&monitor["spec"]["endpoints"][0]["port"], &service["spec"]["ports"][0]["name"]);
    let settings = Settings::default();
    assert_eq!(monitor["metadata"]["labels"]["release"], settings.release);
    let job = &monitor["spec"]["endpoints"][0]["relabelings"][0];
    assert_eq!(
        (&job["targetLabel"], job["replacement"].as_str()),
        (&Value::from("job"), Some(settings.exporter_job.as_str()))
    );

    // The config is one the exporter accepts, and its secrets are files from the Secret.
    let text = one(&objects, "ConfigMap", "deploy/kubernetes/config.yaml")["data"]["config.yaml"].as_str().unwrap();
    let config: Value = serde_norway::from_str(text).unwrap();
    let mounts = container["volumeMounts"].as_array().unwrap();
    let secrets = mounts.iter().find(|mount| mount["name"] == "secrets").unwrap()["mountPath"].as_str().unwrap();
    // The loader reads the password files: give it the Secret's files where the pod has them.
    let mounted = tempfile::tempdir().unwrap();
    std::fs::write(mounted.path().join("postgres-password"), "secret\n").unwrap();
    let as_mounted = text.replace(secrets, mounted.path().to_str().unwrap());
    Config::from_yaml(&as_mounted).unwrap_or_else(|error| panic!("deploy/kubernetes/config.yaml: {error}"));
    assert_eq!(pod["spec"]["volumes"][1]["secret"]["secretName"], kubernetes::SECRET);
    for postgres in config["sources"]["postgres"].as_array().unwrap() {
        assert!(postgres["password_file"].as_str().unwrap().starts_with(secrets), "{postgres}");
        let userinfo = postgres["dsn"].as_str().unwrap().split("://").nth(1).unwrap().split('@').next().unwrap();
        assert!(!userinfo.contains(':'), "a password in the DSN");
    }

    // The NetworkPolicy lets in Prometheus only, and out exactly what the config talks to.
    let policy = one(&objects, "NetworkPolicy", dir);
    assert!(is_subset(&policy["spec"]["podSelector"]["matchLabels"], &pod["metadata"]["labels"]));
    let ports = |rules: &Value| -> BTreeSet<u64> {
        let rules = rules.as_array().unwrap().iter();
        rules
            .flat_map(|rule| rule["ports"].as_array().unwrap().iter().map(|port| port["port"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(ports(&policy["spec"]["ingress"]), BTreeSet::from([u64::from(kubernetes::PORT)]));
    let sources = &config["sources"];
    let mut talks_to = BTreeSet::from([53]);
    for (list, key) in [("connect", "url"), ("jmx_exporter", "url"), ("kafka", "bootstrap"), ("postgres", "dsn")] {
        for source in sources[list].as_array().unwrap() {
            talks_to.insert(port(source[key].as_str().unwrap()));
        }
    }
    assert_eq!(ports(&policy["spec"]["egress"]), talks_to);

    // kubectl apply -k takes every manifest of the directory.
    let kustomization = one(&objects, "Kustomization", dir);
    let listed: BTreeSet<String> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| format!("{dir}{}", file.as_str().unwrap()))
        .collect();
    let files: BTreeSet<String> = objects
        .iter()
        .map(|(source, _)| source.split('#').next().unwrap().to_owned())
        .filter(|file| file.starts_with(dir) && !file.ends_with("kustomization.yaml"))
        .collect();
    assert_eq!(listed, files);
    // The PrometheusRule and the dashboard are the ones generate writes beside the rules.
    for (copy, original) in [
        ("deploy/kubernetes/prometheusrule.yaml", "alerts/kubernetes/prometheusrule.yaml"),
        ("deploy/kubernetes/dashboard.yaml", "dashboards/kubernetes/configmap.yaml"),
    ] {
        let files = generate::files(&Options::default()).unwrap();
        assert_eq!(files[copy], files[original], "{copy}");
    }
}

#[test]
fn the_strimzi_example_is_wired_to_the_exporter_config() {
    let _room = common::room::enter(module_path!());
    let objects = objects();
    let file = kubernetes::STRIMZI_EXAMPLE;
    let connect = one(&objects, "KafkaConnect", file);
    let name = connect["metadata"]["name"].as_str().unwrap();
    assert_eq!(connect["metadata"]["annotations"]["strimzi.io/use-connector-resources"], "true");
    let connector = one(&objects, "KafkaConnector", file);
    assert_eq!(connector["metadata"]["labels"]["strimzi.io/cluster"], name);
    // metricsConfig names a ConfigMap of the example, whose key holds jmx_exporter rules.
    let reference = &connect["spec"]["metricsConfig"]["valueFrom"]["configMapKeyRef"];
    let metrics = objects
        .iter()
        .find(|(source, object)| {
            source.starts_with(file) && object["kind"] == "ConfigMap" && object["metadata"]["name"] == reference["name"]
        })
        .expect("the metrics ConfigMap");
    let rules: Value =
        serde_norway::from_str(metrics.1["data"][reference["key"].as_str().unwrap()].as_str().unwrap()).unwrap();
    assert_eq!(rules["lowercaseOutputName"], true);
    // The exporter's config points at the REST service and at every worker's jmx_exporter.
    let configmap = one(&objects, "ConfigMap", "deploy/kubernetes/config.yaml");
    let config: Value = serde_norway::from_str(configmap["data"]["config.yaml"].as_str().unwrap()).unwrap();
    let namespace = connect["metadata"]["namespace"].as_str().unwrap();
    assert_eq!(config["sources"]["connect"][0]["url"], format!("http://{name}-connect-api.{namespace}.svc:8083"));
    let workers = config["sources"]["jmx_exporter"].as_array().unwrap();
    assert_eq!(workers.len() as u64, connect["spec"]["replicas"].as_u64().unwrap());
    assert!(workers.iter().all(|worker| worker["connect_cluster"] == name));
    // The connector's password is a reference the worker resolves, never a value in REST.
    let password = connector["spec"]["config"]["database.password"].as_str().unwrap();
    assert!(password.starts_with("${secrets:"), "{password}");
    // The exporter may reach the REST API, which Strimzi opens to its operator only.
    let allow = one(&objects, "NetworkPolicy", file);
    assert_eq!(allow["spec"]["podSelector"]["matchLabels"]["strimzi.io/cluster"], name);
}

/// Where scripts/k8s-schemas put the schemas.
fn schemas() -> PathBuf {
    if let Ok(dir) = std::env::var("K8S_SCHEMAS") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var("STACK_CACHE").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/debezium-exporter-stack")
    });
    cache.join("k8s-schemas")
}

/// A Kubernetes API object against kubernetes-validate's strict schema of `version`.
fn kubernetes_errors(dir: &Path, object: &Value) -> Vec<String> {
    let (group, version) = match object["apiVersion"].as_str().unwrap().split_once('/') {
        Some((group, version)) => (Some(group.split('.').next().unwrap()), version),
        None => (None, object["apiVersion"].as_str().unwrap()),
    };
    let kind = object["kind"].as_str().unwrap().to_lowercase();
    let name = match group {
        Some(group) => format!("{kind}-{group}-{version}.json"),
        None => format!("{kind}-{version}.json"),
    };
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap_or_else(|error| panic!("{name}: {error}")))
            .unwrap()
    };
    let definitions = read("_definitions.json");
    let registry = jsonschema::Registry::new()
        .add("https://kubernetes.io/api/_definitions.json", definitions)
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options().with_registry(&registry).build(&read(&name)).unwrap();
    validator.iter_errors(object).map(|error| format!("{error} at {}", error.instance_path())).collect()
}

/// Prometheus Operator resources through node and the npm package's validators.
fn prometheus_operator_errors(dir: &Path, resources: &[(String, Value)]) -> String {
    let input: Vec<Value> =
        resources.iter().map(|(source, object)| serde_json::json!({"source": source, "object": object})).collect();
    let mut child = Command::new("node")
        .arg(repository().join("scripts/k8s-crd-validate.mjs"))
        .arg(dir.join("npm"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node (Debian's nodejs)");
    serde_json::to_writer(child.stdin.take().unwrap(), &input).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() { String::new() } else { text }
}

#[test]
#[ignore = "needs the schemas of scripts/k8s-schemas (scripts/stack-install runs it)"]
fn every_manifest_validates_against_the_kubernetes_and_prometheus_operator_schemas() {
    let _room = common::room::enter(module_path!());
    let dir = schemas();
    let versions: Vec<PathBuf> =
        ["v1.30.0", "v1.36.0"].iter().map(|version| dir.join("kubernetes").join(version)).collect();
    assert!(versions.iter().all(|path| path.exists()), "run scripts/k8s-schemas: no schemas in {}", dir.display());
    let objects = objects();
    let mut operator = Vec::new();
    let mut unchecked = BTreeSet::new();
    for (source, object) in &objects {
        match object["apiVersion"].as_str().unwrap() {
            "monitoring.coreos.com/v1" => operator.push((source.clone(), object.clone())),
            "kafka.strimzi.io/v1beta2" | "kustomize.config.k8s.io/v1beta1" => {
                unchecked.insert(object["kind"].as_str().unwrap().to_owned());
            }
            _ => {
                for version in &versions {
                    let errors = kubernetes_errors(version, object);
                    assert!(errors.is_empty(), "{source} against {}:\n{}", version.display(), errors.join("\n"));
                }
            }
        }
    }
    // No registry package carries Strimzi's CRD schemas; kustomize checks its own file below.
    assert_eq!(unchecked, BTreeSet::from(["KafkaConnect", "KafkaConnector", "Kustomization"].map(String::from)));
    assert_eq!(operator.len(), 2, "the ServiceMonitor and the PrometheusRule");
    let errors = prometheus_operator_errors(&dir, &operator);
    assert!(errors.is_empty(), "{errors}");

    // The validators refuse what they should: an unknown field, a wrong type.
    let mut typo = one(&objects, "Deployment", "deploy/kubernetes/").clone();
    typo["spec"]["template"]["spec"]["containers"][0]["securityContex"] = serde_json::json!({});
    assert!(!kubernetes_errors(&versions[0], &typo).is_empty(), "an unknown field passes the strict schema");
    let mut wrong = one(&objects, "ServiceMonitor", "deploy/kubernetes/").clone();
    wrong["spec"]["endpoints"][0]["interval"] = serde_json::json!(30);
    assert!(!prometheus_operator_errors(&dir, &[("wrong".into(), wrong)]).is_empty(), "a number interval passes");

    // kubectl (in the base image) renders the kustomization offline.
    let rendered = Command::new("kubectl").args(["kustomize", "deploy/kubernetes"]).current_dir(repository()).output();
    if let Ok(output) = rendered {
        assert!(output.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&output.stderr));
        let kinds = String::from_utf8_lossy(&output.stdout).lines().filter(|line| line.starts_with("kind: ")).count();
        assert_eq!(kinds, 7, "every resource rendered");
    }
}

/// The Dockerfile builds the binary the Deployment runs: its Rust image is new enough for
/// every locked dependency the binary builds (dev-dependencies aside), and its user and port
/// are the pod's.
#[test]
fn the_dockerfile_builds_what_the_deployment_runs() {
    let _room = common::room::enter(module_path!());
    let dockerfile = std::fs::read_to_string(repository().join("Dockerfile")).unwrap();
    let version = |text: &str| -> Vec<u64> {
        let mut parts: Vec<u64> = text.split('.').map(|part| part.parse().unwrap()).collect();
        parts.resize(3, 0);
        parts
    };
    let image = dockerfile.lines().find_map(|line| line.strip_prefix("FROM rust:")).expect("FROM rust:X.Y");
    let toolchain = version(image.split('-').next().unwrap());
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", "x86_64-unknown-linux-gnu"])
        .current_dir(repository())
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages: std::collections::BTreeMap<&str, &Value> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| (package["id"].as_str().unwrap(), package))
        .collect();
    let nodes: std::collections::BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| (node["id"].as_str().unwrap(), node))
        .collect();
    let mut built = BTreeSet::new();
    let mut stack = vec![metadata["resolve"]["root"].as_str().unwrap()];
    while let Some(id) = stack.pop() {
        if !built.insert(id) {
            continue;
        }
        for dependency in nodes[id]["deps"].as_array().unwrap() {
            let kinds = dependency["dep_kinds"].as_array().unwrap();
            if kinds.iter().any(|kind| kind["kind"] != "dev") {
                stack.push(dependency["pkg"].as_str().unwrap());
            }
        }
    }
    for id in built {
        if let Some(needs) = packages[id]["rust_version"].as_str() {
            let name = packages[id]["name"].as_str().unwrap();
            assert!(version(needs) <= toolchain, "{name} needs Rust {needs}; the Dockerfile builds with {image}");
        }
    }
    assert!(dockerfile.contains("USER 65534:65534") && dockerfile.contains(&format!("EXPOSE {}", kubernetes::PORT)));
    let objects = objects();
    let pod = &one(&objects, "Deployment", "deploy/kubernetes/")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"], 65534);
    assert_eq!(pod["containers"][0]["ports"][0]["containerPort"], u64::from(kubernetes::PORT));
}
