//! The latest result of every source target, replaced whole on each poll.
//!
//! Sources write here from their poll loops; `/metrics` and the landing page only read. Nothing
//! in this module awaits an upstream, so a slow upstream can never slow down a scrape.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::catalog::{ErrorReason, Metric, Severity, SourceKind};
use crate::join::Facts;
use crate::join::pipeline::Part;

/// What one successful poll of one source target saw.
///
/// Rendering happens in two passes: every observation first `share`s the facts other sources
/// join on (a connector's replication slot, say), then each `render`s its samples.
pub trait Observation: Send + Sync + 'static {
    fn share(&self, _target: &str, _facts: &mut Facts) {}
    /// What may still be shared while polls of this target fail, for at most
    /// [`LAST_KNOWN_FOR`] after the first failure: names that join other sources' series (which
    /// connector reads which slot), never a state. A Connect worker restarting for a few seconds
    /// must not strip the `connector` label from every slot and Debezium series, which would
    /// make them new series and restart every alert's `for:` on them. Nothing of this target's
    /// own is rendered meanwhile (no stale series); once it answers, only what it says counts.
    fn share_last_known(&self, _target: &str, _facts: &mut Facts) {}
    fn render(&self, target: &str, facts: &Facts, out: &mut Samples);
    /// Human-readable lines for the status page, with the pipeline part each describes.
    fn summary(&self) -> Vec<StatusLine> {
        Vec::new()
    }
    /// What needs an operator's attention, with the runbook step that fixes it (`check`).
    fn findings(&self, _target: &str, _facts: &Facts) -> Vec<Finding> {
        Vec::new()
    }
}

/// One line on the status page: a connector, a task, a slot.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusLine {
    pub subject: String,
    pub state: String,
    pub healthy: bool,
    pub detail: Option<String>,
    /// What this line is of a pipeline, with its key figures, for the join that draws it.
    pub part: Option<Part>,
}

/// The samples of one metric: label values (in the metric's label order) and the value.
pub type Series = Vec<(Vec<String>, f64)>;

/// Something `check` tells the person on call: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The pipeline part it is about: `connect demo / connector inventory / task 0`.
    pub subject: String,
    pub problem: String,
    /// Anchor in docs/runbook.md of the step that fixes it.
    pub runbook: &'static str,
    /// What to run or look at, in order.
    pub actions: Vec<String>,
}

/// Samples keyed by metric name.
#[derive(Default)]
pub struct Samples {
    families: BTreeMap<&'static str, Series>,
}

impl Samples {
    /// Adds one sample; `label_values` are in the order of `metric.labels`.
    pub fn push<S: Into<String>>(
        &mut self,
        metric: &'static Metric,
        label_values: impl IntoIterator<Item = S>,
        value: f64,
    ) {
        let values: Vec<String> = label_values.into_iter().map(Into::into).collect();
        debug_assert_eq!(values.len(), metric.labels.len(), "wrong label count for {}", metric.name);
        self.families.entry(metric.name).or_default().push((values, value));
    }

    pub fn get(&self, metric: &Metric) -> &[(Vec<String>, f64)] {
        self.families.get(metric.name).map(Vec::as_slice).unwrap_or_default()
    }
}

/// What an observation of target `dc1` renders with no joined facts, one `name [labels] value`
/// line per sample in catalog order: for the sources' render tests.
#[cfg(test)]
pub fn rendered_alone(observation: &dyn Observation) -> String {
    let mut out = Samples::default();
    observation.render("dc1", &Facts::default(), &mut out);
    let mut text = String::new();
    for metric in crate::catalog::all() {
        for (labels, value) in out.get(metric) {
            text.push_str(&format!("{} {labels:?} {value}\n", metric.name));
        }
    }
    text
}

/// How long a failing target's last observation may still [`Observation::share_last_known`]:
/// longer than a worker restart (seconds to a minute), short enough that a connector deleted
/// while the exporter could not see it loses its labels soon after. The generated slot alerts
/// look back as far for `debezium_connector_info` (`generate::rules::CONNECTOR_INFO_LOOKBACK`).
pub const LAST_KNOWN_FOR: Duration = Duration::from_secs(5 * 60);

/// The observation of the last successful poll, kept while the polls after it fail.
#[derive(Clone)]
pub struct LastKnown {
    pub observation: Arc<dyn Observation>,
    /// When the first poll after it failed.
    pub since: Instant,
}

/// The state of one source target as the poll loop last left it.
#[derive(Clone, Default)]
pub struct TargetState {
    pub polled: bool,
    pub up: bool,
    pub last_duration: Duration,
    pub last_success: Option<SystemTime>,
    pub errors: BTreeMap<ErrorReason, u64>,
    pub last_error: Option<String>,
    pub observation: Option<Arc<dyn Observation>>,
    /// While polls fail: what the last successful one saw, for the joins only.
    pub last_known: Option<LastKnown>,
}

impl TargetState {
    /// Records a successful poll's observation.
    pub fn observed(&mut self, observation: Arc<dyn Observation>) {
        self.observation = Some(observation);
        self.last_known = None;
    }

    /// Records a failed poll: the samples go, the last observation stays known for a while.
    pub fn lost(&mut self) {
        if let Some(observation) = self.observation.take() {
            self.last_known = Some(LastKnown { observation, since: Instant::now() });
        }
        if self.last_known.as_ref().is_some_and(|last| last.since.elapsed() > LAST_KNOWN_FOR) {
            self.last_known = None;
        }
    }
}

/// One configured upstream target (a Connect cluster, a database, ...).
pub struct Target {
    pub source: SourceKind,
    pub name: String,
    state: RwLock<TargetState>,
}

impl Target {
    pub fn state(&self) -> TargetState {
        self.state.read().expect("target state lock poisoned").clone()
    }
}

/// Every target's latest state, plus a generation number that changes whenever any of them does.
pub struct Store {
    targets: Vec<Arc<Target>>,
    generation: AtomicU64,
}

impl Store {
    pub fn new(targets: impl IntoIterator<Item = (SourceKind, String)>) -> Self {
        let targets = targets
            .into_iter()
            .map(|(source, name)| Arc::new(Target { source, name, state: RwLock::new(TargetState::default()) }))
            .collect();
        Store { targets, generation: AtomicU64::new(0) }
    }

    pub fn targets(&self) -> &[Arc<Target>] {
        &self.targets
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Ready once every target has been polled at least once, successfully or not.
    pub fn ready(&self) -> bool {
        self.targets.iter().all(|target| target.state().polled)
    }

    /// What every target's latest observation shares for joins across sources.
    pub fn facts(&self) -> Facts {
        let mut facts = Facts {
            connect_configured: self.targets.iter().any(|target| target.source == SourceKind::Connect),
            ..Facts::default()
        };
        facts.jmx.bridges_configured = self.targets.iter().filter(|target| target.source.is_jmx_bridge()).count();
        for target in &self.targets {
            let state = target.state();
            if let Some(observation) = state.observation {
                observation.share(&target.name, &mut facts);
            } else if let Some(last) = state.last_known.filter(|last| last.since.elapsed() <= LAST_KNOWN_FOR) {
                last.observation.share_last_known(&target.name, &mut facts);
            }
        }
        facts
    }

    /// Replaces a target's state with what `update` makes of it, and bumps the generation.
    pub fn update(&self, target: &Target, update: impl FnOnce(&mut TargetState)) {
        update(&mut target.state.write().expect("target state lock poisoned"));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
