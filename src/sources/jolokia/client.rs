//! Jolokia's protocol: the one bulk read we send ([`PATTERNS`]) and the JSON it answers with.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{HttpClient, HttpError};

/// Every MBean pattern read on each poll.
pub const PATTERNS: [&str; 6] = [
    "debezium.postgres:type=connector-metrics,context=streaming,server=*",
    "debezium.postgres:type=connector-metrics,context=snapshot,server=*",
    "kafka.connect:type=connector-task-metrics,*",
    "kafka.connect:type=task-error-metrics,*",
    "kafka.connect:type=source-task-metrics,*",
    "kafka.connect:type=connect-worker-metrics,*",
];

/// The bulk request body: one `read` per pattern.
pub fn request_body() -> String {
    let reads: Vec<Value> = PATTERNS.iter().map(|mbean| serde_json::json!({"type": "read", "mbean": mbean})).collect();
    Value::Array(reads).to_string()
}

/// POSTs the bulk read `body` to the agent at `url`; the answer is read whole.
pub(super) async fn bulk_read(client: &HttpClient, url: &str, body: &str) -> Result<Bytes, HttpError> {
    let request = client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_owned());
    client.fetch(request).await
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Body {
    Bulk(Vec<Response>),
    /// Jolokia answers a request it cannot take at all (bad JSON, forbidden) with one object.
    Single(Response),
}

#[derive(Deserialize)]
pub(super) struct Response {
    #[serde(default)]
    pub request: Option<Request>,
    #[serde(default)]
    pub value: Option<Value>,
    pub status: u16,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Request {
    #[serde(default)]
    pub mbean: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_recorded_one_without_the_redundant_exact_read() {
        let path = format!("{}/tests/fixtures/jolokia/bulk-request.json", env!("CARGO_MANIFEST_DIR"));
        let recorded: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let ours: Vec<Value> = serde_json::from_str(&request_body()).unwrap();
        assert_eq!(ours[..], recorded[..PATTERNS.len()]);
    }
}
