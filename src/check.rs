//! `debezium-exporter check`: a one-shot diagnosis for the person on call.
//!
//! Polls every configured source once, exactly as `serve` does, then asks each observation what
//! needs attention and which runbook step fixes it. Exit code 0 when healthy, 1 when something
//! needs attention (a finding, or a source that could not be polled).

use serde::Serialize;

use crate::config::Config;
use crate::generate::runbook::Anchor;
use crate::snapshot::{Finding, Store, Urgency};
use crate::source;
use crate::sources;

/// What one `check` saw.
#[derive(Debug, Serialize)]
pub struct Report {
    pub sources: Vec<SourceStatus>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub struct SourceStatus {
    pub source: &'static str,
    pub target: String,
    pub up: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.is_empty() && self.sources.iter().all(|source| source.up)
    }

    /// The report as an on-call engineer reads it in a terminal.
    pub fn human(&self) -> String {
        let mut text = String::new();
        for source in &self.sources {
            match &source.error {
                None => text.push_str(&format!("ok    {} {}\n", source.source, source.target)),
                Some(error) => text.push_str(&format!("DOWN  {} {}: {error}\n", source.source, source.target)),
            }
        }
        if self.healthy() {
            text.push_str("\nNothing needs attention.\n");
            return text;
        }
        for finding in &self.findings {
            let severity = match finding.severity {
                Urgency::Critical => "CRITICAL",
                Urgency::Warning => "WARNING",
            };
            text.push_str(&format!("\n{severity}  {}\n  {}\n", finding.subject, finding.problem));
            for (step, action) in finding.actions.iter().enumerate() {
                text.push_str(&format!("  {}. {action}\n", step + 1));
            }
            text.push_str(&format!("  runbook: docs/runbook.md#{}\n", finding.runbook));
        }
        text
    }
}

/// Polls every configured source once and diagnoses what it saw.
pub async fn run(config: &Config) -> anyhow::Result<Report> {
    let configured = sources::from_config(config)?;
    let store = Store::new(configured.iter().map(|c| (c.source.kind(), c.source.target().to_owned())));
    let polls = configured
        .iter()
        .zip(store.targets())
        .map(|(configured, target)| source::poll_once(configured.source.as_ref(), target, &store, configured.timeout));
    futures::future::join_all(polls).await;

    let facts = store.facts();
    let mut report = Report { sources: Vec::new(), findings: Vec::new() };
    for target in store.targets() {
        let state = target.state();
        report.sources.push(SourceStatus {
            source: target.source,
            target: target.name.clone(),
            up: state.up,
            error: state.last_error.clone(),
        });
        match &state.observation {
            Some(observation) => report.findings.extend(observation.findings(&target.name, &facts)),
            None => report.findings.push(unreachable(target.source, &target.name, state.last_error.as_deref())),
        }
    }
    report.findings.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.subject.cmp(&b.subject)));
    Ok(report)
}

fn unreachable(source: &str, target: &str, error: Option<&str>) -> Finding {
    Finding {
        severity: Urgency::Critical,
        subject: format!("{source} {target}"),
        problem: format!("cannot be polled: {}", error.unwrap_or("no answer")),
        runbook: Anchor::S1Logs.id(),
        actions: vec![format!("Check that {source} {target} is up and reachable from here, then run check again")],
    }
}
