//! Configuration mistakes on the real binary: each is refused before anything starts, with
//! exit code 2 and one line naming the flag or the file, key, line and column.

use crate::common;
use common::refused;

/// Paths the router would panic on (exit 101 with a backtrace), or read as a wildcard.
#[test]
fn telemetry_paths_the_router_cannot_serve_are_refused() {
    for path in ["/healthz", "/readyz", "/", "/:metrics", "/{x}", "/{*x}", "/*x", "metrics", "/a//b", "/a/../b"] {
        let stderr = refused(&["--web.telemetry-path", path]);
        assert!(stderr.starts_with(&format!("debezium-exporter: --web.telemetry-path: `{path}`")), "{stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "web:\n  telemetry_path: '/{x}'\n").unwrap();
    let stderr = refused(&["--config.file", config.to_str().unwrap()]);
    let expected = format!("debezium-exporter: {}: web.telemetry_path: `/{{x}}` holds `{{`", config.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.trim_end().ends_with("(line 2, column 19)"), "{stderr}");
}

/// A directory with a FIFO in it, which blocks whoever opens it for reading.
fn dir_with_fifo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo = fifo.to_str().unwrap().to_owned();
    (dir, fifo)
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `/dev/zero` grew the process by about 400 MB/s; a FIFO hung it before it listened.
#[test]
fn configuration_files_that_are_not_regular_files_are_refused() {
    let stderr = refused(&["--config.file", "/dev/zero"]);
    assert_eq!(stderr.trim_end(), "debezium-exporter: /dev/zero is not a regular file (a device)");
    let (dir, fifo) = dir_with_fifo();
    let stderr = refused(&["--config.file", &fifo]);
    assert!(stderr.contains(&format!("{fifo} is not a regular file (a FIFO")), "{stderr}");
    let stderr = refused(&["--web.config.file", &fifo]);
    assert!(stderr.contains(&format!("{fifo} is not a regular file (a FIFO")), "{stderr}");
    let stderr = refused(&["--web.config.file", "/dev/zero"]);
    assert!(stderr.contains("/dev/zero is not a regular file"), "{stderr}");

    for (section, key) in [
        (
            "connect:\n    - url: http://c:8083\n      basic_auth: {username: u, password_file: FILE}",
            "sources.connect[0].basic_auth.password_file",
        ),
        (
            "kafka:\n    - bootstrap: k:9092\n      security: {sasl: {mechanism: PLAIN, username: u, password_file: FILE}}",
            "sources.kafka[0].security.sasl.password_file",
        ),
        ("postgres:\n    - dsn: host=h\n      password_file: FILE", "sources.postgres[0].password_file"),
        ("postgres:\n    - dsn: host=h\n      ca_file: FILE", "sources.postgres[0].ca_file"),
        ("connect:\n    - url: https://c:8083\n      tls: {ca_file: FILE}", "sources.connect[0].tls.ca_file"),
        ("jolokia:\n    - url: https://w:8778/jolokia\n      tls: {ca_file: FILE}", "sources.jolokia[0].tls.ca_file"),
        (
            "kafka:\n    - bootstrap: k:9092\n      security: {tls: {ca_file: FILE}}",
            "sources.kafka[0].security.tls.ca_file",
        ),
    ] {
        for file in [fifo.as_str(), "/dev/zero"] {
            let config = write(&dir, "config.yaml", &format!("sources:\n  {}\n", section.replace("FILE", file)));
            let stderr = refused(&["--config.file", &config]);
            let expected = format!("debezium-exporter: {config}: {key}: {file} is not a regular file");
            assert!(stderr.starts_with(&expected), "{stderr}");
            assert!(stderr.contains("(line "), "{stderr}");
        }
    }

    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = write(&dir, "cert.pem", &certified.cert.pem());
    for (key, cert_file, key_file) in
        [("cert_file", fifo.as_str(), cert.as_str()), ("key_file", cert.as_str(), "/dev/zero")]
    {
        let web =
            write(&dir, "web.yaml", &format!("tls_server_config:\n  cert_file: {cert_file}\n  key_file: {key_file}\n"));
        let stderr = refused(&["--web.config.file", &web]);
        assert!(stderr.contains(&format!("{web}: tls_server_config.{key}: ")), "{stderr}");
        assert!(stderr.contains("is not a regular file"), "{stderr}");
    }
}

#[test]
fn configuration_files_above_a_mebibyte_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let huge = format!("# {}\n", "x".repeat(1 << 20));
    let config = write(&dir, "config.yaml", &huge);
    let stderr = refused(&["--config.file", &config]);
    assert!(stderr.contains(&format!("{config} is larger than 1 MiB")), "{stderr}");
    let password = write(&dir, "password", &huge);
    let config = write(
        &dir,
        "config.yaml",
        &format!(
            "sources:\n  connect:\n    - url: http://c:8083\n      basic_auth: {{username: u, password_file: {password}}}\n"
        ),
    );
    let stderr = refused(&["--config.file", &config]);
    assert!(stderr.contains(&format!("password_file: {password} is larger than 1 MiB")), "{stderr}");
}

/// Runs `debezium-exporter ARGS` to completion: exit code and stderr.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_debezium-exporter")).args(args).output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Used to exit 1 through a log line once the server started building its sources.
#[test]
fn a_missing_ca_file_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "config.yaml",
        "sources:\n  connect:\n    - url: https://c:8083\n      tls:\n        ca_file: missing.pem\n",
    );
    let stderr = refused(&["--config.file", &config]);
    assert!(
        stderr.starts_with(&format!(
            "debezium-exporter: {config}: sources.connect[0].tls.ca_file: cannot read missing.pem"
        )),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("(line 5, column 18)"), "{stderr}");
}

/// Used to exit 1 through a log line after the exporter had started.
#[test]
fn an_unusable_web_certificate_or_key_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = write(&dir, "cert.pem", &certified.cert.pem());
    let other_key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let other_key = write(&dir, "other.key", &other_key);
    let garbage = write(&dir, "garbage.pem", "garbage\n");
    for (cert_file, key_file, key) in [
        (garbage.as_str(), other_key.as_str(), "tls_server_config.cert_file"),
        (cert.as_str(), garbage.as_str(), "tls_server_config.key_file"),
        (cert.as_str(), other_key.as_str(), "tls_server_config"),
    ] {
        let web =
            write(&dir, "web.yml", &format!("tls_server_config:\n  cert_file: {cert_file}\n  key_file: {key_file}\n"));
        let stderr = refused(&["--web.config.file", &web]);
        assert!(stderr.starts_with(&format!("debezium-exporter: {web}: {key}: ")), "{stderr}");
        assert!(stderr.contains("(line "), "{stderr}");
    }
}

/// `$2y$10$abc` was accepted, and every login then got 401.
#[test]
fn a_truncated_bcrypt_hash_exits_2_for_serve_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let web = write(&dir, "web.yml", "basic_auth_users:\n  alice: $2y$10$abc\n");
    let stderr = refused(&["--web.config.file", &web]);
    assert!(
        stderr.contains(&format!("{web}: basic_auth_users.alice: not a bcrypt hash the server can use")),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("(line 2, column 10)"), "{stderr}");
    let (code, stderr) = run(&["check", "--connect.url", "http://127.0.0.1:9", "--web.config.file", &web]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("basic_auth_users.alice"), "{stderr}");
}

/// `1ns` sent Connect 1,194 requests a second.
#[test]
fn a_poll_interval_of_a_nanosecond_exits_2() {
    let stderr = refused(&["--poll.interval", "1ns"]);
    assert!(stderr.starts_with("debezium-exporter: --poll.interval: 1ns is too short: at least 500ms"), "{stderr}");
}

/// `generate` read only its own section: `queue_remaining_ratio: 5` made an alert that always
/// fires, and mistakes elsewhere in the file went unnoticed until `serve`.
#[test]
fn generate_checks_the_whole_file_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let config = write(&dir, "config.yaml", "generate:\n  queue_remaining_ratio: 5\n");
    let (code, stderr) = run(&["generate", "--config.file", &config, "--out", out]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "debezium-exporter: {config}: generate.queue_remaining_ratio: 5 is not between 0 and 1"
        )),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("(line 2, column 26)"), "{stderr}");

    let config = write(
        &dir,
        "config.yaml",
        "sources:\n  connect:\n    - {name: a, url: 'http://a:8083'}\n    - {name: a, url: 'http://b:8083'}\n",
    );
    let (code, stderr) = run(&["generate", "--config.file", &config, "--out", out]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("sources.connect[1].name: cluster `a` is configured twice"), "{stderr}");
    assert!(!std::path::Path::new(out).exists(), "nothing is written from a bad file");
}

/// A file saved with a byte order mark (as Windows editors do) was refused when it began with
/// the document marker `---`.
#[test]
fn a_config_file_with_a_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = write(&dir, "config.yaml", "\u{feff}---\ngenerate:\n  queue_remaining_ratio: 0.2\n");
    let (code, stderr) = run(&["generate", "--config.file", &config, "--out", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
}
