//! docker-compose.yml is valid and everything it mounts from the repository exists.
//! No Docker engine runs here, so the stack is validated, not started.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
#[ignore = "needs Debian's docker-compose (scripts/stack-install)"]
fn docker_compose_config_is_valid() {
    let output = Command::new("docker-compose")
        .args(["-f", "docker-compose.yml", "config", "-q"])
        .current_dir(ROOT)
        .output()
        .expect("docker-compose is installed (scripts/stack-install)");
    assert!(output.status.success(), "docker-compose config: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn every_mounted_path_and_build_context_exists() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docker-compose.yml")).unwrap();
    let compose: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let services = compose["services"].as_mapping().expect("services");
    let mut checked = 0;
    for (name, service) in services {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let source = volume.as_str().unwrap().split(':').next().unwrap();
            if let Some(relative) = source.strip_prefix("./") {
                assert!(Path::new(ROOT).join(relative).exists(), "service {name:?} mounts {source}, which is missing");
                checked += 1;
            }
        }
        if let Some(context) = service["build"].as_str() {
            assert!(
                Path::new(ROOT).join(context).join("Dockerfile").exists(),
                "service {name:?} builds without a Dockerfile"
            );
        }
    }
    assert!(checked >= 6, "expected the rules, Alertmanager config, dashboards and scripts to be mounted");
}
