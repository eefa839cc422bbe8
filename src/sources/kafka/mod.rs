//! Kafka itself, through librdkafka: whether Kafka Connect's internal topics exist and are
//! compacted, the watermarks and newest record of watched (outbox, CDC) topics, and how far
//! watched consumer groups are behind.
//!
//! Each cluster gets two librdkafka handles, created once and reused by every poll: a consumer
//! (metadata, ListOffsets, group listing, committed offsets) and an admin client
//! (DescribeConfigs, which only the admin API has). The newest records are read by a third
//! handle made for each read and dropped after it (see `reader.rs` for why). librdkafka's
//! calls block, so a whole poll runs in one `spawn_blocking` task, each call bounded by what is
//! left of the poll's deadline; a poll that finds the previous one still running fails instead
//! of queueing.
//!
//! Brokers differ in what they report; see the README's Kafka section for the Tansu test
//! broker (high watermark under-counted, no group members, DescribeConfigs without defaults).
//!
//! `client.rs` holds the client settings and every call on the long-lived handles,
//! `reader.rs` the per-read handle, `ffi.rs` the one admin call the rdkafka crate does not
//! wrap (all of Kafka's unsafe code), `parse.rs` the pure rules that turn answers into the model.

mod client;
mod diagnose;
mod error;
mod ffi;
mod model;
mod parse;
mod reader;
mod render;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

pub use error::KafkaError;
pub use model::{CommittedOffset, GroupState, InternalTopic, KafkaState, PartitionNewest, PartitionOffsets};
pub use parse::{is_compacted, newest_of};

use crate::catalog::SourceKind;
use crate::config::{KafkaConfig, NamePattern};
use crate::join::PublishedTopics;
use crate::snapshot::Observation;
use crate::source::{PollError, Source};

/// What to watch on one cluster.
struct Watch {
    internal_topics: Vec<String>,
    topics: Vec<NamePattern>,
    groups: Vec<NamePattern>,
}

/// The librdkafka side of one cluster, owned by one poll at a time.
struct Clients {
    handles: client::Handles,
    reader: reader::Reader,
}

/// Polls one Kafka cluster.
pub struct KafkaSource {
    cluster: String,
    published: Arc<PublishedTopics>,
    timeout: Duration,
    watch: Arc<Watch>,
    clients: Arc<Mutex<Clients>>,
}

impl KafkaSource {
    /// Creates the cluster's handles; librdkafka connects lazily, so this fails only on settings.
    pub fn new(config: &KafkaConfig, timeout: Duration, published: Arc<PublishedTopics>) -> Result<Self, KafkaError> {
        let handles = client::Handles::new(config, timeout)?;
        let reader = reader::Reader::new(config, timeout, handles.last_error.clone());
        Ok(KafkaSource {
            cluster: config.cluster(),
            published,
            timeout,
            watch: Arc::new(Watch {
                internal_topics: config.internal_topics.clone(),
                topics: config.topics.clone(),
                groups: config.consumer_groups.clone(),
            }),
            clients: Arc::new(Mutex::new(Clients { handles, reader })),
        })
    }
}

#[async_trait]
impl Source for KafkaSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Kafka
    }

    fn target(&self) -> &str {
        &self.cluster
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        let (clients, watch) = (self.clients.clone(), self.watch.clone());
        // Topics of outbox tables configured without published_topics, as Connect routes them.
        let derived = self.published.wanted_topics();
        let deadline = Instant::now() + own_budget(self.timeout);
        let state = tokio::task::spawn_blocking(move || {
            let mut clients = match clients.try_lock() {
                Ok(clients) => clients,
                Err(TryLockError::WouldBlock) => return Err(KafkaError::Busy),
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            };
            clients.observe(&watch, &derived, deadline)
        })
        .await
        .map_err(KafkaError::Task)
        .and_then(|state| state);
        match state {
            Ok(state) => {
                self.published.record(
                    &self.cluster,
                    state.newest_records.iter().map(|(topic, millis)| (topic.clone(), millis_to_time(*millis))),
                );
                Ok(Arc::new(state))
            }
            Err(error) => {
                self.published.forget(&self.cluster);
                Err(error.into())
            }
        }
    }
}

/// How long the poll's own calls may take: a little less than the poll timeout, so that on a
/// loaded machine the poll still ends with its own, classified error (a refused connection is
/// `connect`, with librdkafka's reason) rather than being cut off as a bare `timeout`.
fn own_budget(timeout: Duration) -> Duration {
    timeout - (timeout / 5).clamp(Duration::from_millis(200), Duration::from_secs(1)).min(timeout / 2)
}

/// A record timestamp (milliseconds since the epoch) as a time; `None` for an empty topic.
fn millis_to_time(millis: Option<i64>) -> Option<SystemTime> {
    millis
        .and_then(|millis| u64::try_from(millis).ok())
        .map(|millis| SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
}

impl Clients {
    fn observe(&mut self, watch: &Watch, derived: &[NamePattern], deadline: Instant) -> Result<KafkaState, KafkaError> {
        let state = self.observe_once(watch, derived, deadline)?;
        // A broker error from before this successful poll no longer explains anything.
        self.handles.forget_last_error();
        Ok(state)
    }

    fn observe_once(
        &mut self,
        watch: &Watch,
        derived: &[NamePattern],
        deadline: Instant,
    ) -> Result<KafkaState, KafkaError> {
        self.handles.serve_events();
        let topics = self.handles.topics(deadline)?;
        // Presence from metadata; `cleanup.policy` from one DescribeConfigs for the present ones.
        let present: Vec<&String> = watch.internal_topics.iter().filter(|name| topics.contains_key(*name)).collect();
        let policies = self.handles.cleanup_policies(&present, deadline)?;
        let internal_topics = parse::internal_topics(&watch.internal_topics, &topics, &policies);
        let watched: Vec<&String> = topics
            .keys()
            .filter(|topic| watch.topics.iter().chain(derived).any(|pattern| pattern.matches(topic)))
            .collect();
        let mut groups = self.handles.groups(&watch.groups, deadline)?;

        let mut wanted: BTreeSet<(String, i32)> = BTreeSet::new();
        for topic in &watched {
            wanted.extend(topics[*topic].iter().map(|partition| ((*topic).clone(), *partition)));
        }
        for group in &groups {
            let known = group.committed.iter().filter(|committed| topics.contains_key(&committed.topic));
            wanted.extend(known.map(|committed| (committed.topic.clone(), committed.partition)));
        }
        let watermarks = self.handles.watermarks(&wanted, deadline)?;

        let partitions = parse::partitions(&watched, &topics, &watermarks);
        let newest = self.reader.newest_records(&partitions, deadline);
        let newest_records = parse::newest_records(&watched, &partitions, &newest);
        for committed in groups.iter_mut().flat_map(|group| group.committed.iter_mut()) {
            committed.high = watermarks.get(&(committed.topic.clone(), committed.partition)).map(|(_, high)| *high);
        }
        Ok(KafkaState { internal_topics, partitions, groups, newest_records })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_timestamps_become_times() {
        assert_eq!(millis_to_time(Some(1_500)), Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_500)));
        assert_eq!(millis_to_time(None), None);
        assert_eq!(millis_to_time(Some(-1)), None, "no timestamp");
    }

    #[test]
    fn the_poll_ends_on_its_own_before_the_poll_timeout_cuts_it_off() {
        assert_eq!(own_budget(Duration::from_secs(2)), Duration::from_millis(1_600));
        assert_eq!(own_budget(Duration::from_secs(30)), Duration::from_secs(29), "at most a second less");
        assert_eq!(own_budget(Duration::from_millis(500)), Duration::from_millis(300), "at least 200 ms less");
        assert_eq!(own_budget(Duration::from_millis(100)), Duration::from_millis(50), "never under half");
    }
}
