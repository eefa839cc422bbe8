//! `debezium-exporter check`: a one-shot diagnosis for the person on call.
//!
//! Polls every configured source once, exactly as `serve` does, then asks each observation what
//! needs attention and which runbook step fixes it. Exit code 0 when healthy, 1 when something
//! needs attention (a finding, or a source that could not be polled).

use serde::Serialize;

use crate::catalog::{Anchor, Severity};
use crate::config::Config;
use crate::snapshot::{Finding, Store};
use crate::source;
use crate::sources;
use crate::text::{is_unsafe_in_terminal, sanitize_for_terminal};

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

    /// The report as an on-call engineer reads it in a terminal. Subjects, problems, actions
    /// and errors carry upstream text (connector names, traces), so each is cleared of escape
    /// sequences and control characters: a connector name must not recolour, erase or fake
    /// lines of the report.
    pub fn human(&self) -> String {
        let clean = sanitize_for_terminal;
        let mut text = String::new();
        for source in &self.sources {
            let target = clean(&source.target);
            match &source.error {
                None => text.push_str(&format!("ok    {} {target}\n", source.source)),
                Some(error) => text.push_str(&format!("DOWN  {} {target}: {}\n", source.source, clean(error))),
            }
        }
        if self.healthy() {
            text.push_str("\nNothing needs attention.\n");
            return text;
        }
        for finding in &self.findings {
            let severity = finding.severity.as_str().to_uppercase();
            text.push_str(&format!("\n{severity}  {}\n  {}\n", clean(&finding.subject), clean(&finding.problem)));
            for (step, action) in finding.actions.iter().enumerate() {
                text.push_str(&format!("  {}. {}\n", step + 1, clean(action)));
            }
            text.push_str(&format!("  runbook: docs/runbook.md#{}\n", finding.runbook));
        }
        text
    }

    /// The report as JSON for scripts. JSON keeps upstream text exact, but `serde_json` leaves
    /// DEL, the C1 controls (`\u{9b}` starts an escape sequence on some terminals) and the
    /// bidirectional overrides raw; they are written as `\uXXXX` too, so the output is safe
    /// to show in a terminal and still decodes to the same strings. Outside strings JSON is
    /// ASCII, so every such character is inside a string.
    pub fn json(&self) -> String {
        let raw = serde_json::to_string_pretty(self).expect("the report serializes");
        let mut json = String::with_capacity(raw.len());
        for c in raw.chars() {
            // Below DEL, serde_json has escaped all but the structural line breaks and spaces.
            if u32::from(c) >= 0x7f && is_unsafe_in_terminal(c) {
                json.push_str(&format!("\\u{:04x}", u32::from(c)));
            } else {
                json.push(c);
            }
        }
        json
    }
}

/// Polls every configured source once and diagnoses what it saw.
pub async fn run(config: &Config) -> Result<Report, sources::SetupError> {
    let configured = sources::from_config(config)?;
    let store = Store::new(configured.iter().map(|c| (c.source.kind(), c.source.target().to_owned())));
    let polls = configured
        .iter()
        .zip(store.targets())
        .map(|(configured, target)| source::poll_once(configured.source.as_ref(), target, &store, configured.timeout));
    futures::future::join_all(polls).await;

    Ok(diagnose(&store))
}

/// What the store's latest observations need an operator for: what `check` prints and the
/// status page shows under its pipelines. Reads only the store.
pub fn diagnose(store: &Store) -> Report {
    let facts = store.facts();
    let mut report = Report { sources: Vec::new(), findings: Vec::new() };
    for target in store.targets() {
        let state = target.state();
        report.sources.push(SourceStatus {
            source: target.source.as_str(),
            target: target.name.clone(),
            up: state.up,
            error: state.last_error.clone(),
        });
        match &state.observation {
            Some(observation) => report.findings.extend(observation.findings(&target.name, &facts)),
            // Not polled yet (only while `serve` starts): nothing known, nothing to say.
            None if !state.polled => {}
            None => {
                report.findings.push(unreachable(target.source.as_str(), &target.name, state.last_error.as_deref()))
            }
        }
    }
    report.findings.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.subject.cmp(&b.subject)));
    report
}

fn unreachable(source: &str, target: &str, error: Option<&str>) -> Finding {
    Finding {
        severity: Severity::Critical,
        subject: format!("{source} {target}"),
        problem: format!("cannot be polled: {}", error.unwrap_or("no answer")),
        runbook: Anchor::S1Logs.id(),
        actions: vec![format!("Check that {source} {target} is up and reachable from here, then run check again")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an upstream can put into a report: colours, a screen clear (8-bit CSI), a carriage
    /// return that overwrites the line, a forged line.
    const ESCAPES: &str = "\u{1b}[31mred\u{1b}[0m\r\u{9b}2J\nok    forged";

    fn hostile_report() -> Report {
        Report {
            sources: vec![SourceStatus {
                source: "connect",
                target: format!("dc{ESCAPES}"),
                up: false,
                error: Some(format!("HTTP 500: {ESCAPES}")),
            }],
            findings: vec![Finding {
                severity: Severity::Critical,
                subject: format!("connect dc / connector {ESCAPES}"),
                problem: format!("the connector is FAILED: {ESCAPES}\u{202e}"),
                runbook: Anchor::S1Restart.id(),
                actions: vec![format!("curl -X POST 'http://c/connectors/{ESCAPES}/restart'")],
            }],
        }
    }

    #[test]
    fn the_terminal_report_carries_no_escape_or_control_from_upstreams() {
        let text = hostile_report().human();
        for unsafe_text in ["\u{1b}", "\r", "\u{9b}", "\u{202e}", "\nok    forged"] {
            assert!(!text.contains(unsafe_text), "{unsafe_text:?} in {text:?}");
        }
        assert!(text.contains("DOWN  connect dcred  ok    forged: HTTP 500: red  ok    forged\n"), "{text:?}");
        assert_eq!(text.lines().filter(|line| line.starts_with("ok")).count(), 0, "{text}");
    }

    #[test]
    fn the_json_report_escapes_what_terminals_interpret_and_still_decodes_exactly() {
        let report = hostile_report();
        let json = report.json();
        assert!(json.chars().all(|c| c == '\n' || !crate::text::is_unsafe_in_terminal(c)), "{json:?}");
        assert!(json.contains(r"\u009b") && json.contains(r"\u202e"), "{json}");
        let decoded: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(decoded, serde_json::to_value(&report).unwrap());
    }
}
