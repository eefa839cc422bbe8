//! The alert model: what one alert is (its rule, its texts in both languages, where the
//! runbook and the dashboard show it) and the example it carries, from which its promtool
//! test cases are generated.

use std::time::Duration;

use crate::catalog::{Anchor, Severity};
use crate::generate::fixture::ExampleSeries;
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;

/// Another expression that must hold while the alert fires, with the sample it returns.
#[derive(Debug, Clone)]
pub struct Implied {
    pub expr: String,
    pub sample: Selector,
    pub value: f64,
}

/// What the alert looks like on real data.
#[derive(Debug, Clone)]
pub struct Example {
    /// Series as Prometheus holds them while the alert should fire, from time 0.
    pub firing: Vec<ExampleSeries>,
    /// When the condition first holds on `firing`: zero for instant conditions, one step for
    /// functions such as `deriv()` or `predict_linear()` that need two samples. The alert must
    /// fire `for` after that, and still be pending one step before.
    pub holds_from: Duration,
    /// The labels the alert then carries besides `alertname` and `severity`: the labels its
    /// expression keeps. Annotations can print these and inhibition can match on them.
    pub labels: Vec<(&'static str, String)>,
    /// The same pipeline one step on the healthy side of the threshold: must not fire.
    pub healthy: Vec<ExampleSeries>,
    /// Expressions that must also be true while it fires.
    pub implies: Vec<Implied>,
    /// Other situations worth proving: another way the condition holds, or a guard.
    pub variants: Vec<Variant>,
}

/// One more situation of an alert, tested like its example.
#[derive(Debug, Clone)]
pub struct Variant {
    /// What it shows; becomes part of the promtool test case's name.
    pub what: &'static str,
    pub series: Vec<ExampleSeries>,
    /// `Some(holds_from)` if it must fire (`for` after `holds_from`), `None` if it must not.
    pub fires: Option<Duration>,
    /// The alert's labels when they differ from the example's (a branch of the expression that
    /// keeps fewer labels); annotations then print a missing label as Prometheus does: empty.
    pub labels: Option<Vec<(&'static str, String)>>,
}

impl Example {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(label, _)| *label == name).map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub name: &'static str,
    pub expr: String,
    pub for_: Duration,
    pub severity: Severity,
    pub summary: Text,
    pub description: Text,
    /// The runbook section for this alert: what it means and which steps to take.
    pub runbook: Text,
    /// Steps of the seed runbook that resolve it.
    pub steps: &'static [Anchor],
    /// The dashboard panel that shows it.
    pub panel: PanelId,
    /// A FAILED connector, or a FAILED task under it, mutes this alert for the same cluster and
    /// connector (alerts/alertmanager.yml): the failure is the cause, this is a symptom.
    pub muted_by_failed_connector: bool,
    pub example: Example,
}

impl Alert {
    /// The anchor of its section in docs/runbook.md.
    pub fn anchor(&self) -> String {
        format!("alert-{}", self.name.to_lowercase())
    }
}

pub struct Group {
    pub name: &'static str,
    pub alerts: Vec<Alert>,
}

/// When the healthy series are checked: five steps after the alert would have fired.
pub fn healthy_checked_at(holds_from: Duration, for_: Duration) -> Duration {
    holds_from + for_ + Duration::from_secs(5 * 60)
}
