//! Records the git revision for `debezium_exporter_build_info`.
use std::process::Command;

fn main() {
    let revision = std::env::var("DEBEZIUM_EXPORTER_REVISION").ok().or_else(|| {
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    });
    println!("cargo:rustc-env=DEBEZIUM_EXPORTER_REVISION={}", revision.unwrap_or_else(|| "unknown".to_owned()));
    println!("cargo:rerun-if-env-changed=DEBEZIUM_EXPORTER_REVISION");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
}
