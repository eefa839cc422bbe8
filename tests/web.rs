//! `--web.config.file`: HTTPS and basic auth in the exporter-toolkit format, on the real binary.

mod common;

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
