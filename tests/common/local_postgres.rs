//! Running throwaway PostgreSQL servers from the tests: `initdb`, `pg_ctl` and the server
//! refuse to run as root, so as root they run as the `postgres` user and own their files.

use std::path::Path;
use std::process::Command;

pub fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// `program` run as `postgres` when the tests run as root.
pub fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Makes a file or directory the server's when the tests run as root.
pub fn give_to_postgres(path: &Path) {
    if is_root() {
        let status = Command::new("chown").arg("postgres:postgres").arg(path).status().unwrap();
        assert!(status.success(), "chown postgres {}", path.display());
    }
}

/// Runs `command`, panicking with its output when it fails.
pub fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
