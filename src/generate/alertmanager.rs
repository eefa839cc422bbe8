//! alerts/alertmanager.yml: one route per severity to a placeholder receiver, and the
//! inhibition that lets a failed connector, or a failed task of it, mute the symptoms of its
//! own pipeline only.

use serde::Serialize;

use super::options::{GenerateError, yaml};
use super::promql::duration;
use super::rules::{Alert, PIPELINE_FAILURES};
use crate::catalog::Severity;
use crate::config::generate::Settings;

/// The labels a failed connector and the alerts it mutes must share (and both carry).
pub const PIPELINE_LABELS: [&str; 2] = ["cluster", "connector"];

#[derive(Serialize)]
struct AlertmanagerConfig {
    route: Route,
    receivers: Vec<Receiver>,
    inhibit_rules: Vec<InhibitRule>,
}

#[derive(Serialize)]
struct Route {
    receiver: String,
    group_by: Vec<&'static str>,
    group_wait: String,
    group_interval: String,
    repeat_interval: String,
    routes: Vec<ChildRoute>,
}

#[derive(Serialize)]
struct ChildRoute {
    receiver: String,
    matchers: Vec<String>,
}

#[derive(Serialize)]
struct Receiver {
    name: String,
}

#[derive(Serialize)]
struct InhibitRule {
    source_matchers: Vec<String>,
    target_matchers: Vec<String>,
    equal: Vec<&'static str>,
}

/// The receiver an alert of `severity` reaches; `None` is the root's catch-all.
pub fn receiver(severity: Option<Severity>) -> String {
    match severity {
        Some(severity) => format!("debezium-{}", severity.as_str()),
        None => "debezium-default".to_owned(),
    }
}

/// The alerts a failed connector or task mutes.
pub fn muted(alerts: &[Alert]) -> Vec<&'static str> {
    alerts.iter().filter(|alert| alert.muted_by_failed_connector).map(|alert| alert.name).collect()
}

pub fn config(alerts: &[Alert], settings: &Settings) -> Result<String, GenerateError> {
    let config = AlertmanagerConfig {
        route: Route {
            receiver: receiver(None),
            group_by: vec!["alertname", "cluster", "connector"],
            group_wait: duration(settings.group_wait),
            group_interval: duration(settings.group_interval),
            repeat_interval: duration(settings.repeat_interval),
            routes: Severity::ALL
                .into_iter()
                .map(|severity| ChildRoute {
                    receiver: receiver(Some(severity)),
                    matchers: vec![format!("severity=\"{}\"", severity.as_str())],
                })
                .collect(),
        },
        receivers: std::iter::once(None)
            .chain(Severity::ALL.into_iter().map(Some))
            .map(|severity| Receiver { name: receiver(severity) })
            .collect(),
        // One rule per source, which does not list the source among its targets: two failed
        // tasks of one connector must both notify. (Alertmanager ignores a source that also
        // matches the targets anyway; leaving it out says so in the config itself.)
        inhibit_rules: PIPELINE_FAILURES
            .into_iter()
            .map(|source| {
                let targets: Vec<&str> = muted(alerts).into_iter().filter(|name| *name != source).collect();
                InhibitRule {
                    source_matchers: vec![format!("alertname=\"{source}\"")],
                    target_matchers: vec![format!("alertname=~\"{}\"", targets.join("|"))],
                    equal: PIPELINE_LABELS.to_vec(),
                }
            })
            .collect(),
    };
    let header = "# Receivers are placeholders: add your email_configs, slack_configs, pagerduty_configs or\n\
                  # webhook_configs to each (https://prometheus.io/docs/alerting/latest/configuration/).\n";
    Ok(format!("{header}{}", yaml(&config)?))
}
