//! Configuration mistakes on the real binary: each is refused before anything starts, with
//! exit code 2 and one line naming the flag or the file, key, line and column.

mod common;

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

    let cert = write(&dir, "cert.pem", "");
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
