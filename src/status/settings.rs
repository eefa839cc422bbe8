//! What the status page takes from the configuration: where things are, how often to reload,
//! and the alerts' thresholds, so that the page marks a part as the alerts would.

use std::time::Duration;

use crate::config::Config;

/// What the page needs of the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where `/metrics` is served, linked from the page.
    pub telemetry_path: String,
    /// docs/runbook.md as the team reads it (`generate.runbook_url`, as the alerts link it).
    pub runbook_url: String,
    /// The page reloads itself this often: the poll interval, at least 5 s.
    pub refresh: Duration,
    /// The alerts' thresholds (`generate`), so that the page marks a part as they would.
    pub slot_lag_bytes: f64,
    pub outbox_oldest_age: Duration,
    pub streaming_lag: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Settings {
            telemetry_path: config.web.telemetry_path.clone(),
            runbook_url: config.generate.runbook_url.clone(),
            refresh: config.poll.interval.max(Duration::from_secs(5)),
            slot_lag_bytes: config.generate.slot_lag_threshold_bytes as f64,
            outbox_oldest_age: config.generate.outbox_oldest_event_age,
            streaming_lag: config.generate.streaming_lag_threshold,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let generate = crate::config::GenerateSettings::default();
        Settings {
            telemetry_path: "/metrics".to_owned(),
            runbook_url: generate.runbook_url,
            refresh: Duration::from_secs(15),
            slot_lag_bytes: generate.slot_lag_threshold_bytes as f64,
            outbox_oldest_age: generate.outbox_oldest_event_age,
            streaming_lag: generate.streaming_lag_threshold,
        }
    }
}
