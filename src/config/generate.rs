//! The knobs of `generate`: alert thresholds, names and URLs, in one typed struct with defaults.
//!
//! Every number an alert rule, a test case or a dashboard threshold uses comes from here, so a
//! rule and the panel that shows it can never disagree. It is the `generate` section of the
//! configuration file.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How long a connector must stay FAILED before DebeziumConnectorFailed fires (the runbook: 1m).
    #[serde(with = "humantime_serde")]
    pub connector_failed_for: Duration,
    /// How long a task must stay FAILED under a RUNNING connector before DebeziumTaskFailed fires.
    #[serde(with = "humantime_serde")]
    pub task_failed_for: Duration,
    /// How long a connector may stay PAUSED, UNASSIGNED or RESTARTING before DebeziumConnectorNotRunning fires.
    #[serde(with = "humantime_serde")]
    pub connector_not_running_for: Duration,
    /// How long polls of one source target may keep failing before DebeziumExporterSourceDown fires.
    #[serde(with = "humantime_serde")]
    pub source_down_for: Duration,
    /// How long Prometheus may go without a successful scrape of the exporter before DebeziumExporterAbsent fires.
    #[serde(with = "humantime_serde")]
    pub exporter_absent_for: Duration,
    /// How long a replication slot may have no consumer before ReplicationSlotInactive fires.
    #[serde(with = "humantime_serde")]
    pub slot_inactive_for: Duration,
    /// WAL a slot's consumer may leave unconfirmed, in bytes, before ReplicationSlotLagHigh fires (1 GiB).
    pub slot_lag_threshold_bytes: u64,
    /// How long the slot lag must stay above `slot_lag_threshold_bytes` before ReplicationSlotLagHigh fires.
    #[serde(with = "humantime_serde")]
    pub slot_lag_for: Duration,
    /// How much history of safe_wal_size ReplicationSlotWalAtRisk extrapolates from.
    #[serde(with = "humantime_serde")]
    pub slot_safe_wal_window: Duration,
    /// How far ahead ReplicationSlotWalAtRisk looks: it fires when safe_wal_size would reach 0 within this.
    #[serde(with = "humantime_serde")]
    pub slot_safe_wal_horizon: Duration,
    /// How long a slot must be unreserved (or heading for lost) before ReplicationSlotWalAtRisk fires.
    #[serde(with = "humantime_serde")]
    pub slot_wal_at_risk_for: Duration,
    /// How long a slot must be lost before ReplicationSlotLost fires.
    #[serde(with = "humantime_serde")]
    pub slot_lost_for: Duration,
    /// How long a logical slot may go unclaimed by any Debezium connector before ReplicationSlotOrphaned fires.
    #[serde(with = "humantime_serde")]
    pub slot_orphaned_for: Duration,
    /// Age of the oldest outbox row above which OutboxOldestEventTooOld fires; with keep-and-purge, set it above your retention.
    #[serde(with = "humantime_serde")]
    pub outbox_oldest_event_age: Duration,
    /// How long the oldest outbox row must stay too old before OutboxOldestEventTooOld fires.
    #[serde(with = "humantime_serde")]
    pub outbox_oldest_event_for: Duration,
    /// The window over which OutboxBacklogGrowing measures the outbox's growth (deriv); longer than your purge interval.
    #[serde(with = "humantime_serde")]
    pub outbox_growth_window: Duration,
    /// How long the outbox must keep growing before OutboxBacklogGrowing fires.
    #[serde(with = "humantime_serde")]
    pub outbox_growing_for: Duration,
    /// How long a connector may be RUNNING in Connect while Debezium does not stream before DebeziumConnectorStuck fires.
    #[serde(with = "humantime_serde")]
    pub connector_stuck_for: Duration,
    /// Streaming lag (milli_seconds_behind_source) above which DebeziumStreamingLagHigh fires.
    #[serde(with = "humantime_serde")]
    pub streaming_lag_threshold: Duration,
    /// How long the streaming lag must stay above `streaming_lag_threshold` before DebeziumStreamingLagHigh fires.
    #[serde(with = "humantime_serde")]
    pub streaming_lag_for: Duration,
    /// The window over which DebeziumStreamingLagGrowing measures the lag's growth (deriv).
    #[serde(with = "humantime_serde")]
    pub streaming_lag_growth_window: Duration,
    /// Lag below which DebeziumStreamingLagGrowing stays quiet however it moves: small lags jitter.
    #[serde(with = "humantime_serde")]
    pub streaming_lag_growing_floor: Duration,
    /// How long the streaming lag must keep growing before DebeziumStreamingLagGrowing fires.
    #[serde(with = "humantime_serde")]
    pub streaming_lag_growing_for: Duration,
    /// How far back DebeziumFailedRecords looks for a change of a task's failed-record count.
    #[serde(with = "humantime_serde")]
    pub failed_records_window: Duration,
    /// How long new failed records must keep showing before DebeziumFailedRecords fires.
    #[serde(with = "humantime_serde")]
    pub failed_records_for: Duration,
    /// How long Debezium's streaming connection may be down (outside a snapshot) before DebeziumSourceDisconnected fires.
    #[serde(with = "humantime_serde")]
    pub source_disconnected_for: Duration,
    /// Share (0-1) of Debezium's queue that must stay free; below it DebeziumQueueNearlyFull fires.
    #[serde(deserialize_with = "ratio")]
    pub queue_remaining_ratio: f64,
    /// How long the queue must stay below `queue_remaining_ratio` free before DebeziumQueueNearlyFull fires.
    #[serde(with = "humantime_serde")]
    pub queue_nearly_full_for: Duration,
    /// How far back DebeziumSnapshotStalled looks for progress (rows scanned) of a running snapshot; longer than Debezium's 10 s progress interval.
    #[serde(with = "humantime_serde")]
    pub snapshot_stall_window: Duration,
    /// How long a running snapshot must show no progress over `snapshot_stall_window` before DebeziumSnapshotStalled fires.
    #[serde(with = "humantime_serde")]
    pub snapshot_stalled_for: Duration,
    /// How long a Kafka Connect internal topic may be missing before KafkaConnectInternalTopicMissing fires.
    #[serde(with = "humantime_serde")]
    pub internal_topic_missing_for: Duration,
    /// The window over which ConsumerGroupNotCatchingUp looks at a group's lag (delta and minimum).
    #[serde(with = "humantime_serde")]
    pub consumer_group_lag_window: Duration,
    /// How long a group's lag must stay above 0 without falling before ConsumerGroupNotCatchingUp fires.
    #[serde(with = "humantime_serde")]
    pub consumer_group_not_catching_up_for: Duration,
    /// How long Alertmanager waits to gather a new group's alerts before its first notification.
    #[serde(with = "humantime_serde")]
    pub group_wait: Duration,
    /// How long Alertmanager waits before notifying of alerts added to (or resolved in) a notified group.
    #[serde(with = "humantime_serde")]
    pub group_interval: Duration,
    /// How long Alertmanager waits before repeating a notification that is still firing.
    #[serde(with = "humantime_serde")]
    pub repeat_interval: Duration,
    /// The Prometheus `job` that scrapes debezium-exporter (DebeziumExporterAbsent watches its `up`).
    pub exporter_job: String,
    /// URL of docs/runbook.md as your team reads it; each alert links to its anchor there. The
    /// default is the file's path in this repository, which is not a link a notification can
    /// open: set it (or `--runbook-url`).
    pub runbook_url: String,
    /// Base URL of Grafana; each alert links to the dashboard panel that shows it.
    pub grafana_url: String,
    /// The `release` label of the PrometheusRule: kube-prometheus-stack only loads rules carrying its release name.
    pub release: String,
    /// Namespace of the PrometheusRule and of the dashboard ConfigMap.
    pub namespace: String,
    /// Directory Grafana's file provider reads the dashboard from (dashboards/provisioning.yaml).
    pub dashboards_path: String,
}

/// A share strictly between 0 and 1, refused while the number is read (so the error has its
/// line): at 0 the alert never fires, at 1 or above it always does.
fn ratio<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    struct Ratio;
    impl serde::de::Visitor<'_> for Ratio {
        type Value = f64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number between 0 and 1")
        }
        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<f64, E> {
            if value > 0.0 && value < 1.0 {
                Ok(value)
            } else {
                Err(E::custom(format!("{value} is not between 0 and 1 (exclusive), e.g. 0.1 for 10 % free")))
            }
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<f64, E> {
            self.visit_f64(value as f64)
        }
        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<f64, E> {
            self.visit_f64(value as f64)
        }
    }
    deserializer.deserialize_f64(Ratio)
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connector_failed_for: Duration::from_secs(60),
            task_failed_for: Duration::from_secs(60),
            connector_not_running_for: Duration::from_secs(10 * 60),
            source_down_for: Duration::from_secs(3 * 60),
            exporter_absent_for: Duration::from_secs(5 * 60),
            slot_inactive_for: Duration::from_secs(10 * 60),
            slot_lag_threshold_bytes: 1 << 30,
            slot_lag_for: Duration::from_secs(10 * 60),
            slot_safe_wal_window: Duration::from_secs(60 * 60),
            slot_safe_wal_horizon: Duration::from_secs(4 * 60 * 60),
            slot_wal_at_risk_for: Duration::from_secs(5 * 60),
            slot_lost_for: Duration::from_secs(60),
            slot_orphaned_for: Duration::from_secs(15 * 60),
            outbox_oldest_event_age: Duration::from_secs(60 * 60),
            outbox_oldest_event_for: Duration::from_secs(5 * 60),
            outbox_growth_window: Duration::from_secs(30 * 60),
            outbox_growing_for: Duration::from_secs(30 * 60),
            connector_stuck_for: Duration::from_secs(5 * 60),
            streaming_lag_threshold: Duration::from_secs(5 * 60),
            streaming_lag_for: Duration::from_secs(5 * 60),
            streaming_lag_growth_window: Duration::from_secs(10 * 60),
            streaming_lag_growing_floor: Duration::from_secs(60),
            streaming_lag_growing_for: Duration::from_secs(10 * 60),
            failed_records_window: Duration::from_secs(10 * 60),
            failed_records_for: Duration::from_secs(60),
            source_disconnected_for: Duration::from_secs(2 * 60),
            queue_remaining_ratio: 0.1,
            queue_nearly_full_for: Duration::from_secs(5 * 60),
            snapshot_stall_window: Duration::from_secs(10 * 60),
            snapshot_stalled_for: Duration::from_secs(5 * 60),
            internal_topic_missing_for: Duration::from_secs(60),
            consumer_group_lag_window: Duration::from_secs(10 * 60),
            consumer_group_not_catching_up_for: Duration::from_secs(10 * 60),
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(5 * 60),
            repeat_interval: Duration::from_secs(4 * 60 * 60),
            exporter_job: "debezium-exporter".to_owned(),
            runbook_url: "docs/runbook.md".to_owned(),
            grafana_url: "http://localhost:3000".to_owned(),
            release: "kube-prometheus-stack".to_owned(),
            namespace: "monitoring".to_owned(),
            dashboards_path: "/var/lib/grafana/dashboards/debezium-cdc".to_owned(),
        }
    }
}

impl Settings {
    /// What `generate` should tell about links that will not open from a notification: the
    /// committed files keep the repository-relative defaults so anyone can regenerate them, but
    /// a team deploying its own should point them where it reads the runbook and Grafana.
    pub fn link_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let absolute = |url: &str| url.starts_with("https://") || url.starts_with("http://");
        if !absolute(&self.runbook_url) {
            warnings.push(format!(
                "runbook_url `{}` is a path, not a URL: alerts' runbook links will not open from a notification; \
                 pass --runbook-url with the URL where your team reads docs/runbook.md",
                self.runbook_url
            ));
        }
        let host = self.grafana_url.split("://").nth(1).unwrap_or_default();
        if !absolute(&self.grafana_url) || host.starts_with("localhost") || host.starts_with("127.") {
            warnings.push(format!(
                "grafana_url `{}` is not a Grafana others can reach: alerts' dashboard links will not open; \
                 pass --grafana-url",
                self.grafana_url
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_flagged_as_links_that_do_not_open_and_real_urls_are_not() {
        let warnings = Settings::default().link_warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("runbook_url `docs/runbook.md` is a path"), "{}", warnings[0]);
        assert!(warnings[1].contains("grafana_url `http://localhost:3000`"), "{}", warnings[1]);
        let deployed = Settings {
            runbook_url: "https://git.example/cdc/debezium-exporter/-/blob/main/docs/runbook.md".to_owned(),
            grafana_url: "https://grafana.example".to_owned(),
            ..Settings::default()
        };
        assert_eq!(deployed.link_warnings(), Vec::<String>::new());
    }
}
