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
