//! Records the git revision for `debezium_exporter_build_info`.
use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn main() {
    let revision =
        std::env::var("DEBEZIUM_EXPORTER_REVISION").ok().or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    println!("cargo:rustc-env=DEBEZIUM_EXPORTER_REVISION={}", revision.unwrap_or_else(|| "unknown".to_owned()));
    println!("cargo:rerun-if-env-changed=DEBEZIUM_EXPORTER_REVISION");
    // Ask git where HEAD and the branches live (a worktree's `.git` is a file) and watch only
    // what exists: a missing path would make cargo rebuild the crate on every run.
    for name in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]).filter(|path| Path::new(path).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
