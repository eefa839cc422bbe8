//! The `Source` trait and the one poll loop that wraps every source.
//!
//! The loop owns timeouts and the self-metrics (`up`, duration, last success, errors by
//! reason), so a source only has to say what it saw or why it could not see it.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tokio::sync::watch;

use crate::catalog::{ErrorReason, SourceKind};
use crate::snapshot::{Observation, Store, Target};

/// One upstream target: a Connect cluster, a database, a JMX bridge, a Kafka cluster.
#[async_trait]
pub trait Source: Send + Sync {
    /// The `source` label: which kind of upstream this is.
    fn kind(&self) -> SourceKind;
    /// The `target` label: which one of them.
    fn target(&self) -> &str;
    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError>;
}

/// A failed poll: a reason for the label and a message for logs and the landing page.
/// The message must not carry secrets (sources redact URLs and DSNs before building it).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct PollError {
    pub reason: ErrorReason,
    pub message: String,
}

impl PollError {
    pub fn new(reason: ErrorReason, message: impl Into<String>) -> Self {
        PollError { reason, message: message.into() }
    }
}

/// How often and how patiently to poll.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub interval: Duration,
    pub timeout: Duration,
}

/// Polls once, with the timeout, and records the outcome in the store.
pub async fn poll_once(source: &dyn Source, target: &Target, store: &Store, timeout: Duration) {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(timeout, source.poll()).await {
        Ok(outcome) => outcome,
        Err(_) => Err(PollError::new(
            ErrorReason::Timeout,
            format!("no answer within {}", humantime::format_duration(timeout)),
        )),
    };
    let elapsed = started.elapsed();
    store.update(target, |state| {
        state.polled = true;
        state.last_duration = elapsed;
        match outcome {
            Ok(observation) => {
                state.up = true;
                state.last_success = Some(SystemTime::now());
                state.last_error = None;
                state.observed(observation);
            }
            Err(error) => {
                if state.up || state.last_error.as_deref() != Some(error.message.as_str()) {
                    tracing::warn!(
                        source = source.kind().as_str(),
                        target = source.target(),
                        reason = error.reason.as_str(),
                        "poll failed: {}",
                        error.message
                    );
                }
                state.up = false;
                *state.errors.entry(error.reason).or_default() += 1;
                state.last_error = Some(error.message);
                // A failed poll drops what was seen before: no stale series. Only the joins may
                // still use it, for a while (`Observation::share_last_known`).
                state.lost();
            }
        }
    });
}

/// Polls `source` every `schedule.interval` until `shutdown` flips to true.
pub async fn run(
    source: Arc<dyn Source>,
    target: Arc<Target>,
    store: Arc<Store>,
    schedule: Schedule,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(schedule.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => poll_once(source.as_ref(), &target, &store, schedule.timeout).await,
            _ = shutdown.changed() => return,
        }
    }
}
