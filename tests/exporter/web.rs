//! `--web.config.file`: HTTPS and basic auth in the exporter-toolkit format, on the real binary.

use crate::common;
use common::Exporter;

#[tokio::test]
async fn serves_https_with_basic_auth_from_the_web_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let hash = bcrypt::hash("scrape-secret", 4).unwrap();
    let web_config = dir.path().join("web.yml");
    std::fs::write(
        &web_config,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  prometheus: '{hash}'\n",
            cert.display(),
            key.display()
        ),
    )
    .unwrap();

    let exporter = Exporter::start(&["--web.config.file", web_config.to_str().unwrap()]);
    let https = exporter.base.replace("http://", "https://");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();

    let anonymous = client.get(format!("{https}/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = client.get(format!("{https}/metrics")).basic_auth("prometheus", Some("nope")).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let scrape =
        client.get(format!("{https}/metrics")).basic_auth("prometheus", Some("scrape-secret")).send().await.unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.text().await.unwrap().contains("debezium_exporter_build_info"));
    assert!(reqwest::get(format!("{}/metrics", exporter.base)).await.is_err(), "plain HTTP must not be served");
    assert!(!exporter.log().contains("scrape-secret"));
}

#[test]
fn a_bad_web_config_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let web_config = dir.path().join("web.yml");
    std::fs::write(&web_config, "basic_auth_users:\n  alice: hunter2\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_debezium-exporter"))
        .args(["--web.config.file", web_config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("basic_auth_users.alice: not a bcrypt hash"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// Whether the server has closed `stream`: a read returns end-of-file (or an error) at once.
fn closed_by_server(stream: &mut std::net::TcpStream) -> bool {
    use std::io::Read;
    stream.set_read_timeout(Some(std::time::Duration::from_millis(100))).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => !matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}

/// Idle and trickling (slowloris) clients up to the cap and beyond: scrapes keep answering,
/// and the server closes what sends no request. Before, nothing was ever closed: 20,000 idle
/// connections used up the file descriptors and every scrape timed out.
#[tokio::test(flavor = "multi_thread")]
async fn idle_and_trickling_clients_cannot_lock_scrapes_out() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let exporter = Exporter::start(&[
        "--web.max-connections",
        "16",
        "--web.read-header-timeout",
        "2s",
        "--web.idle-timeout",
        "3s",
    ]);
    let address = exporter.base.trim_start_matches("http://").to_owned();
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let scrape = || async {
        let response = client.get(format!("{}/metrics", exporter.base)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("debezium_exporter_build_info"));
    };

    // Three times the cap: silent connections, and connections that trickle a request head.
    let mut idle = Vec::new();
    let mut trickling = Vec::new();
    for index in 0..48 {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        if index % 2 == 0 {
            stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").unwrap();
            trickling.push(stream);
        } else {
            idle.push(stream);
        }
        if index % 8 == 7 {
            scrape().await;
        }
    }
    // At the cap, every new connection takes the place of the longest idle one.
    for _ in 0..10 {
        scrape().await;
    }
    let mut evicted = 0;
    for stream in idle.iter_mut().chain(trickling.iter_mut()) {
        evicted += usize::from(closed_by_server(stream));
    }
    assert!(evicted >= 48 - 16, "only {evicted} of 48 connections closed with a cap of 16");

    // What is left open is closed by the timeouts: the head after 2 s, idleness after 3 s.
    let mut last = Vec::new();
    for index in 0..8 {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        if index % 2 == 0 {
            stream.write_all(b"GET /metr").unwrap();
        }
        last.push(stream);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !last.iter_mut().all(closed_by_server) {
        assert!(Instant::now() < deadline, "idle and trickling connections still open after 30 s");
        let _ = last.iter_mut().map(|stream| stream.write_all(b"X")).count();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    scrape().await;
}
