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
    /// The Prometheus `job` that scrapes debezium-exporter (DebeziumExporterAbsent watches its `up`).
    pub exporter_job: String,
    /// Base URL of docs/runbook.md as your team reads it; each alert links to its anchor there.
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
            exporter_job: "debezium-exporter".to_owned(),
            runbook_url: "docs/runbook.md".to_owned(),
            grafana_url: "http://localhost:3000".to_owned(),
            release: "kube-prometheus-stack".to_owned(),
            namespace: "monitoring".to_owned(),
            dashboards_path: "/var/lib/grafana/dashboards/debezium-cdc".to_owned(),
        }
    }
}
