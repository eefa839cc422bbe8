//! What the page shows, judged: each pipeline's five parts with their health and figures, the
//! findings `check` prints, and each source's poll state. Pure: a store and a clock in, a
//! [`View`] out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::settings::Settings;
use crate::catalog::{Severity, State};
use crate::check::{self, SourceStatus};
use crate::join::pipeline::{self, Pipeline, Seen, Stage};
use crate::snapshot::{Finding, StatusLine, Store};

/// How a part looks: the colour of its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Ok,
    Unknown,
    Warning,
    Critical,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Unknown => "unknown",
            Health::Warning => "warning",
            Health::Critical => "critical",
        }
    }

    pub fn of_severity(severity: Severity) -> Health {
        match severity {
            Severity::Critical => Health::Critical,
            Severity::Warning => Health::Warning,
            Severity::Info => Health::Ok,
        }
    }
}

/// The five parts of a pipeline, in the order data flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Outbox,
    Slot,
    Connector,
    Topics,
    Groups,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Outbox => "outbox",
            StageKind::Slot => "slot",
            StageKind::Connector => "connector",
            StageKind::Topics => "topics",
            StageKind::Groups => "groups",
        }
    }
}

/// A key figure, kept typed so that the page writes it in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Rows(u64),
    OldestAge(Duration),
    SlotLag(f64),
    Retained(f64),
    Inactive,
    WalStatus(String),
    State(Option<State>),
    TasksRunning { running: usize, total: usize },
    Task { id: u32, state: Option<State> },
    BehindSource(f64),
    SinceLastEvent(Duration),
    NotStreaming,
    NewestAge(Duration),
    NoRecord,
    GroupLag(i64),
}

/// Why a part shows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// The sources that would show it answered, and none has it.
    NotSeen,
    /// A source that would show it is down, or none is configured.
    CannotTell,
    /// The connector captures tables directly: there is no outbox.
    NoOutbox,
}

/// One named thing inside a part: a table, the slot, the connector, a topic, a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: String,
    pub health: Health,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub stage: StageKind,
    /// The worst of its items', or the note's.
    pub health: Health,
    pub items: Vec<Item>,
    pub note: Option<Note>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineView {
    pub cluster: String,
    pub connector: String,
    pub health: Health,
    pub nodes: Vec<Node>,
}

/// Everything the page shows.
pub struct View {
    pub pipelines: Vec<PipelineView>,
    pub findings: Vec<Finding>,
    pub sources: Vec<(SourceStatus, bool, Option<Duration>)>,
    pub lines: Vec<(String, Vec<StatusLine>)>,
    pub now: SystemTime,
}

impl View {
    pub fn of(store: &Store, settings: &Settings, now: SystemTime) -> View {
        let report = check::diagnose(store);
        let mut seen = Vec::new();
        let mut lines = Vec::new();
        let mut sources = Vec::new();
        for (target, status) in store.targets().iter().zip(report.sources) {
            let state = target.state();
            let summary = state.observation.as_ref().map(|observation| observation.summary()).unwrap_or_default();
            let parts = summary.iter().filter_map(|line| line.part.clone()).collect();
            seen.push(Seen { source: target.source, target: target.name.clone(), up: state.up, parts });
            let since = state.last_success.and_then(|success| now.duration_since(success).ok());
            sources.push((status, state.polled, since));
            if !summary.is_empty() {
                lines.push((format!("{} {}", target.source.as_str(), target.name), summary));
            }
        }
        let pipelines =
            pipeline::pipelines(&seen).iter().map(|found| judge(found, &report.findings, settings, now)).collect();
        View { pipelines, findings: report.findings, sources, lines, now }
    }
}

/// A pipeline's parts with their health: by the alerts' thresholds, raised by any finding
/// `check` makes about the connector or its slot.
pub fn judge(found: &Pipeline, findings: &[Finding], settings: &Settings, now: SystemTime) -> PipelineView {
    let outbox = match found.keys.outbox {
        None => Node { stage: StageKind::Outbox, health: Health::Unknown, items: vec![], note: Some(Note::NoOutbox) },
        Some(_) => node(StageKind::Outbox, &found.outbox, |_, outbox| {
            let old = outbox.oldest_age_seconds.map(Duration::from_secs_f64);
            let mut figures = vec![Figure::Rows(outbox.rows)];
            figures.extend(old.map(Figure::OldestAge));
            let health =
                if old.is_some_and(|age| age > settings.outbox_oldest_age) { Health::Warning } else { Health::Ok };
            Item { name: outbox.table.clone(), health, figures }
        }),
    };
    let mut slot = node(StageKind::Slot, &found.slot, |target, slot| {
        let wal = slot.wal_status.as_deref().unwrap_or_default();
        let mut health = match wal {
            "lost" | "unreserved" => Health::Critical,
            _ if !slot.active => Health::Warning,
            _ if slot.lag_bytes.is_some_and(|lag| lag > settings.slot_lag_bytes) => Health::Warning,
            _ => Health::Ok,
        };
        health = health.max(raised(findings, &format!("postgres {target} / slot {}", slot.name)));
        let mut figures: Vec<Figure> = slot.lag_bytes.map(Figure::SlotLag).into_iter().collect();
        figures.extend(slot.retained_bytes.map(Figure::Retained));
        if !slot.active {
            figures.push(Figure::Inactive);
        }
        if !matches!(wal, "" | "reserved") {
            figures.push(Figure::WalStatus(wal.to_owned()));
        }
        Item { name: slot.name.clone(), health, figures }
    });
    if slot.items.is_empty() && slot.note == Some(Note::NotSeen) {
        slot.health = Health::Warning;
    }
    let connector = connector_node(found, findings, settings);
    let topics = node(StageKind::Topics, &found.topics, |_, topic| {
        let newest = topic.newest_millis.map(|millis| age_of(millis, now));
        Item {
            name: topic.name.clone(),
            health: Health::Ok,
            figures: vec![newest.map_or(Figure::NoRecord, Figure::NewestAge)],
        }
    });
    let groups = node(StageKind::Groups, &found.groups, |_, group| Item {
        name: group.name.clone(),
        health: Health::Ok,
        figures: vec![Figure::GroupLag(group.lag)],
    });
    let nodes = vec![outbox, slot, connector, topics, groups];
    let health = nodes.iter().map(|node| node.health).filter(|health| *health != Health::Unknown).max();
    PipelineView {
        cluster: found.cluster.clone(),
        connector: found.connector.name.clone(),
        health: health.unwrap_or(Health::Unknown),
        nodes,
    }
}

fn connector_node(found: &Pipeline, findings: &[Finding], settings: &Settings) -> Node {
    let connector = &found.connector;
    let task_failed = connector.tasks.iter().any(|(_, state)| *state == Some(State::Failed));
    let mut health = match connector.state {
        Some(State::Failed) => Health::Critical,
        _ if task_failed => Health::Critical,
        Some(State::Paused | State::Unassigned | State::Restarting) => Health::Warning,
        Some(State::Running | State::Stopped) => Health::Ok,
        None => Health::Unknown,
    };
    let running = connector.tasks.iter().filter(|(_, state)| *state == Some(State::Running)).count();
    let mut figures =
        vec![Figure::State(connector.state), Figure::TasksRunning { running, total: connector.tasks.len() }];
    figures.extend(connector.tasks.iter().map(|(id, state)| Figure::Task { id: *id, state: *state }));
    if let Some((_, bean)) = found.streaming.found.first() {
        if bean.connected {
            figures.extend(bean.millis_behind_source.map(Figure::BehindSource));
            figures.extend(
                bean.millis_since_last_event.map(|ms| Figure::SinceLastEvent(Duration::from_millis(ms as u64))),
            );
            if bean.millis_behind_source.is_some_and(|ms| ms > settings.streaming_lag.as_millis() as f64) {
                health = health.max(Health::Warning);
            }
        } else {
            figures.push(Figure::NotStreaming);
            health = health.max(Health::Warning);
        }
    } else if connector.state == Some(State::Running) && found.streaming.complete {
        figures.push(Figure::NotStreaming);
    }
    health = health.max(raised(findings, &format!("connect {} / connector {}", found.cluster, connector.name)));
    Node {
        stage: StageKind::Connector,
        health,
        items: vec![Item { name: connector.name.clone(), health, figures }],
        note: None,
    }
}

/// A node of the parts a stage found, or a note saying why there are none.
fn node<T>(stage: StageKind, found: &Stage<T>, item: impl Fn(&str, &T) -> Item) -> Node {
    let items: Vec<Item> = found.found.iter().map(|(target, part)| item(target, part)).collect();
    let note = match (items.is_empty(), found.complete) {
        (false, _) => None,
        (true, true) => Some(Note::NotSeen),
        (true, false) => Some(Note::CannotTell),
    };
    let health = items.iter().map(|item| item.health).max().unwrap_or(Health::Unknown);
    Node { stage, health, items, note }
}

/// The worst severity of the findings about `subject` (or a part of it), if any.
fn raised(findings: &[Finding], subject: &str) -> Health {
    findings
        .iter()
        .filter(|finding| {
            finding.subject.strip_prefix(subject).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '/']))
        })
        .map(|finding| Health::of_severity(finding.severity))
        .max()
        .unwrap_or(Health::Ok)
}

fn age_of(millis: i64, now: SystemTime) -> Duration {
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    now.saturating_sub(Duration::from_millis(millis.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Anchor;
    use crate::join::pipeline::Part;
    use crate::join::pipeline::tests::seen_healthy;

    fn judged(seen: &[Seen], findings: &[Finding]) -> PipelineView {
        let now = UNIX_EPOCH + Duration::from_secs(61);
        judge(&pipeline::pipelines(seen)[0], findings, &Settings::default(), now)
    }

    fn healths(view: &PipelineView) -> Vec<&'static str> {
        view.nodes.iter().map(|node| node.health.as_str()).collect()
    }

    #[test]
    fn a_healthy_pipeline_is_ok_end_to_end_with_its_figures() {
        let view = judged(&seen_healthy(), &[]);
        assert_eq!(healths(&view), ["ok", "ok", "ok", "ok", "ok"]);
        assert_eq!(view.health, Health::Ok);
        assert_eq!(view.nodes[0].items[0].figures, [Figure::Rows(3), Figure::OldestAge(Duration::from_secs(4))]);
        assert_eq!(view.nodes[1].items[0].figures, [Figure::SlotLag(100.0), Figure::Retained(2048.0)]);
        assert!(view.nodes[2].items[0].figures.contains(&Figure::BehindSource(12.0)));
        assert_eq!(view.nodes[3].items[0].figures, [Figure::NewestAge(Duration::from_secs(60))]);
        assert_eq!(view.nodes[4].items[0].figures, [Figure::GroupLag(5)]);
    }

    #[test]
    fn a_failed_task_makes_the_connector_critical_and_a_finding_raises_its_slot() {
        let mut seen = seen_healthy();
        let Part::Connector(connector) = &mut seen[0].parts[0] else { unreachable!() };
        connector.tasks[0].1 = Some(State::Failed);
        let finding = Finding {
            severity: Severity::Warning,
            subject: "postgres inventory / slot billing_slot (connector billing)".into(),
            problem: "the slot is inactive".into(),
            runbook: Anchor::S1Reset.id(),
            actions: vec![],
        };
        let view = judged(&seen, &[finding]);
        assert_eq!(healths(&view), ["ok", "warning", "critical", "ok", "ok"]);
        assert_eq!(view.health, Health::Critical);
    }

    #[test]
    fn parts_nobody_can_see_are_unknown_and_a_missing_slot_is_a_warning() {
        let mut seen = seen_healthy();
        seen.retain(|seen| seen.source != crate::catalog::SourceKind::Kafka);
        let Part::Connector(connector) = &mut seen[0].parts[0] else { unreachable!() };
        connector.debezium.as_mut().unwrap().slot = "gone".into();
        let view = judged(&seen, &[]);
        assert_eq!(healths(&view), ["unknown", "warning", "ok", "unknown", "unknown"]);
        assert_eq!(view.nodes[1].note, Some(Note::NotSeen));
        assert_eq!(view.nodes[3].note, Some(Note::CannotTell));
        assert_eq!(view.health, Health::Warning, "unknown parts do not hide a known warning");
    }

    #[test]
    fn findings_about_a_longer_name_do_not_raise_a_shorter_one() {
        let finding = |subject: &str| Finding {
            severity: Severity::Critical,
            subject: subject.into(),
            problem: String::new(),
            runbook: "x",
            actions: vec![],
        };
        let subject = "connect dc1 / connector billing";
        assert_eq!(raised(&[finding("connect dc1 / connector billing2")], subject), Health::Ok);
        assert_eq!(raised(&[finding("connect dc1 / connector billing / task 0")], subject), Health::Critical);
    }
}
