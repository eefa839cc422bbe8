//! Kafka's protocol, through librdkafka: the client settings every handle shares, the
//! context that routes librdkafka's log, and every call a poll makes on the cluster's two
//! long-lived handles (metadata, DescribeConfigs, group listing, committed offsets,
//! ListOffsets). The newest records are read by a handle of their own (`reader.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError as LibrdkafkaError;
use rdkafka::{Offset, TopicPartitionList};

use super::error::KafkaError;
use super::ffi;
use super::model::{CommittedOffset, GroupState};
use crate::config::{KafkaConfig, NamePattern};

/// Routes librdkafka's log to `tracing` and keeps its last error, so a failed call can say
/// why (`Connect to ipv4#127.0.0.1:1 failed: Connection refused`): a consumer's error events
/// carry only a code, the reason is in the log.
#[derive(Default)]
pub(super) struct KafkaContext {
    pub(super) last_error: Arc<Mutex<Option<String>>>,
}

impl KafkaContext {
    fn remember(&self, reason: &str) {
        *self.last_error.lock().expect("last error lock poisoned") = Some(reason.to_owned());
    }
}

impl ClientContext for KafkaContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
                tracing::debug!(facility, "librdkafka: {message}");
                self.remember(message);
            }
            _ => tracing::trace!(facility, "librdkafka: {message}"),
        }
    }

    fn error(&self, error: LibrdkafkaError, reason: &str) {
        tracing::debug!("librdkafka: {error}: {reason}");
        self.remember(reason);
    }
}

impl ConsumerContext for KafkaContext {}

/// The client settings every handle shares: where the brokers are, how to log in, and what a
/// monitor must never do.
pub(super) fn client_config(config: &KafkaConfig, timeout: Duration) -> ClientConfig {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", &config.bootstrap.0).set("client.id", "debezium-exporter");
    // A monitor never creates what it watches. A metadata request that names a topic and
    // allows auto-creation makes a broker with `auto.create.topics.enable` (Apache Kafka's
    // default, Tansu) create it: a deleted Connect internal topic would come back with the
    // broker's defaults, not compacted. librdkafka allows it by default on producer-type
    // handles, which the admin client is.
    client.set("allow.auto.create.topics", "false");
    // A request unanswered within the poll's timeout closes its connection (socket.max.fails
    // is 1), so a silent, half-open connection is replaced by the next poll rather than after
    // librdkafka's default minute; keepalives notice a vanished peer between polls.
    let request_timeout = timeout.max(Duration::from_secs(2)).as_millis().to_string();
    client.set("socket.timeout.ms", &request_timeout).set("socket.keepalive.enable", "true");
    let security = &config.security;
    let protocol = match (&security.sasl, &security.tls) {
        (None, None) => "plaintext",
        (None, Some(_)) => "ssl",
        (Some(_), None) => "sasl_plaintext",
        (Some(_), Some(_)) => "sasl_ssl",
    };
    client.set("security.protocol", protocol);
    if let Some(sasl) = &security.sasl {
        client
            .set("sasl.mechanism", sasl.mechanism.as_str())
            .set("sasl.username", &sasl.username)
            .set("sasl.password", sasl.password.expose());
    }
    if let Some(ca_file) = security.tls.as_ref().and_then(|tls| tls.ca_file.as_ref()) {
        client.set("ssl.ca.location", ca_file.to_string_lossy());
    }
    client
}

/// Time left until `deadline`, or a timeout error naming the step that ran out of it.
pub(super) fn remaining(deadline: Instant, step: &'static str) -> Result<Duration, KafkaError> {
    deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()).ok_or(KafkaError::NoTimeLeft(step))
}

/// (topic, partition) → (low, high) watermark.
pub(super) type Watermarks = HashMap<(String, i32), (i64, i64)>;

/// The long-lived handles of one cluster, created once and reused by every poll: a consumer
/// (metadata, ListOffsets, group listing, committed offsets) and an admin client
/// (DescribeConfigs, which only the admin API has).
pub(super) struct Handles {
    /// The `cluster` label, for log lines.
    cluster: String,
    /// Whether the last DescribeConfigs failed: its warning is logged once, not every poll.
    describe_configs_failing: bool,
    /// Watched groups whose committed offsets the last poll could not read.
    unreadable_groups: UnreadableGroups,
    consumer: BaseConsumer<KafkaContext>,
    admin: AdminClient<KafkaContext>,
    /// Shared by every handle's context, the reader's too.
    pub(super) last_error: Arc<Mutex<Option<String>>>,
}

impl Handles {
    /// Creates the handles; librdkafka connects lazily, so this fails only on settings.
    pub(super) fn new(config: &KafkaConfig, timeout: Duration) -> Result<Self, KafkaError> {
        let last_error = Arc::new(Mutex::new(None));
        let context = || KafkaContext { last_error: last_error.clone() };
        // Metadata, watermarks, groups: this handle never subscribes, assigns nor commits, so it
        // never joins a group on the broker and never fetches a record.
        let consumer = client_config(config, timeout).create_with_context(context()).map_err(KafkaError::Create)?;
        let admin = client_config(config, timeout).create_with_context(context()).map_err(KafkaError::Create)?;
        Ok(Handles {
            cluster: config.cluster(),
            describe_configs_failing: false,
            unreadable_groups: UnreadableGroups::default(),
            consumer,
            admin,
            last_error,
        })
    }

    /// A failed call of `step`, with the broker error librdkafka logged before it.
    fn error(&self, step: &'static str, error: LibrdkafkaError) -> KafkaError {
        let last = self.last_error.lock().expect("last error lock poisoned").clone();
        KafkaError::call(step, error, last)
    }

    /// After a successful poll: a broker error from before it no longer explains anything.
    pub(super) fn forget_last_error(&self) {
        *self.last_error.lock().expect("last error lock poisoned") = None;
    }

    /// Nothing is assigned between polls, so the queue holds only events (broker errors while
    /// it is down); serve them so they do not pile up.
    pub(super) fn serve_events(&self) {
        while let Some(event) = self.consumer.poll(Duration::ZERO) {
            if let Err(error) = event {
                tracing::trace!("librdkafka event: {error}");
            }
        }
    }

    /// Every topic the cluster answers for without an error, with its partition ids.
    pub(super) fn topics(&self, deadline: Instant) -> Result<BTreeMap<String, Vec<i32>>, KafkaError> {
        let metadata = self
            .consumer
            .fetch_metadata(None, remaining(deadline, "metadata")?)
            .map_err(|error| self.error("metadata", error))?;
        let mut topics: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for topic in metadata.topics().iter().filter(|topic| topic.error().is_none()) {
            topics.insert(topic.name().to_owned(), topic.partitions().iter().map(|p| p.id()).collect());
        }
        Ok(topics)
    }

    /// The `cleanup.policy` of each of `present` (topic → value, `None` when the broker left
    /// the key out) from one DescribeConfigs; a topic that did not answer is left out.
    pub(super) fn cleanup_policies(
        &mut self,
        present: &[&String],
        deadline: Instant,
    ) -> Result<HashMap<String, Option<String>>, KafkaError> {
        let mut policies = HashMap::new();
        if present.is_empty() {
            return Ok(policies);
        }
        let resources: Vec<ResourceSpecifier> = present.iter().map(|name| ResourceSpecifier::Topic(name)).collect();
        let options = AdminOptions::new().request_timeout(Some(remaining(deadline, "describe configs")?));
        // Presence is what matters most (runbook step 3b): a broker that cannot describe
        // configs leaves `compacted` unknown rather than failing the whole poll.
        let results = match futures::executor::block_on(self.admin.describe_configs(&resources, &options)) {
            Ok(results) => {
                if std::mem::take(&mut self.describe_configs_failing) {
                    tracing::info!(cluster = %self.cluster, "describe configs answers again");
                }
                results
            }
            Err(error) => {
                if !std::mem::replace(&mut self.describe_configs_failing, true) {
                    tracing::warn!(cluster = %self.cluster, "describe configs failed, compaction unknown: {error}");
                }
                Vec::new()
            }
        };
        for (name, result) in present.iter().zip(results) {
            match result {
                Ok(resource) => {
                    let policy = resource.get("cleanup.policy").and_then(|entry| entry.value.clone());
                    policies.insert((*name).clone(), policy);
                }
                // Deleted between the metadata and this call: present says so next poll.
                Err(error) => tracing::debug!(topic = %name, "describe configs: {error}"),
            }
        }
        Ok(policies)
    }

    /// Watched groups with their member count and committed offsets (high watermarks are filled
    /// in later). Named groups are asked for directly, so a broker whose group listing is
    /// incomplete (Tansu) still answers; regexes need the listing. A group whose committed
    /// offsets cannot be read (no ACL to describe it; a name Tansu cannot parse) is left out
    /// alone and warned about once: it must not take the cluster's topics and other groups
    /// down with it.
    pub(super) fn groups(
        &mut self,
        patterns: &[NamePattern],
        deadline: Instant,
    ) -> Result<Vec<GroupState>, KafkaError> {
        let mut members: BTreeMap<String, Option<usize>> = BTreeMap::new();
        if patterns.iter().any(|pattern| matches!(pattern, NamePattern::Regex(_))) {
            let listing = self
                .consumer
                .fetch_group_list(None, remaining(deadline, "group listing")?)
                .map_err(|error| self.error("group listing", error))?;
            for group in listing.groups() {
                if patterns.iter().any(|pattern| pattern.matches(group.name())) {
                    members.insert(group.name().to_owned(), Some(group.members().len()));
                }
            }
        }
        for pattern in patterns {
            let NamePattern::Name(name) = pattern else { continue };
            if members.contains_key(name) {
                continue;
            }
            let described = self.consumer.fetch_group_list(Some(name), remaining(deadline, "group describe")?);
            let count = match described {
                Ok(list) => list.groups().iter().find(|group| group.name() == name).map(|group| group.members().len()),
                Err(error) => {
                    tracing::debug!(group = %name, "describe group: {error}");
                    None
                }
            };
            members.insert(name.clone(), count);
        }
        let mut groups = Vec::with_capacity(members.len());
        let mut unreadable = BTreeMap::new();
        for (name, members) in members {
            match ffi::list_group_offsets(self.consumer.client(), &name, remaining(deadline, "group offsets")?) {
                Ok(offsets) => {
                    let committed = offsets
                        .into_iter()
                        .map(|(topic, partition, offset)| CommittedOffset { topic, partition, offset, high: None })
                        .collect();
                    groups.push(GroupState { name, members, committed });
                }
                Err(error) => {
                    unreadable.insert(name, error);
                }
            }
        }
        for (group, error) in self.unreadable_groups.update(unreadable) {
            tracing::warn!(cluster = %self.cluster, group = %group, "group left out of the metrics: {error}");
        }
        Ok(groups)
    }

    /// Low and high watermarks of `partitions`: two batched ListOffsets (earliest, latest).
    pub(super) fn watermarks(
        &self,
        partitions: &BTreeSet<(String, i32)>,
        deadline: Instant,
    ) -> Result<Watermarks, KafkaError> {
        if partitions.is_empty() {
            return Ok(HashMap::new());
        }
        let query = |spec: Offset, step: &'static str| -> Result<HashMap<(String, i32), i64>, KafkaError> {
            let mut request = TopicPartitionList::new();
            for (topic, partition) in partitions {
                request.add_partition_offset(topic, *partition, spec).map_err(|error| self.error(step, error))?;
            }
            let answer = self
                .consumer
                .offsets_for_times(request, remaining(deadline, step)?)
                .map_err(|error| self.error(step, error))?;
            Ok(answer
                .elements()
                .iter()
                .filter(|element| element.error().is_ok())
                .filter_map(|element| match element.offset() {
                    Offset::Offset(offset) => Some(((element.topic().to_owned(), element.partition()), offset)),
                    _ => None,
                })
                .collect())
        };
        let low = query(Offset::Beginning, "low watermarks")?;
        let high = query(Offset::End, "high watermarks")?;
        Ok(high.into_iter().filter_map(|(key, high)| Some((key.clone(), (*low.get(&key)?, high)))).collect())
    }
}

/// The watched groups whose committed offsets the last poll could not read, so that each is
/// warned about once while it stays so (and again should it fail again after a good poll).
#[derive(Debug, Default)]
struct UnreadableGroups(BTreeSet<String>);

impl UnreadableGroups {
    /// Takes this poll's unreadable groups (name → why); returns those that were readable
    /// before, to warn about.
    fn update(&mut self, now: BTreeMap<String, KafkaError>) -> Vec<(String, KafkaError)> {
        let before = std::mem::replace(&mut self.0, now.keys().cloned().collect());
        now.into_iter().filter(|(group, _)| !before.contains(group)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(groups: &[&str]) -> BTreeMap<String, KafkaError> {
        let error = |group: &str| KafkaError::GroupOffsets { group: group.to_owned(), problem: "Broker: x".to_owned() };
        groups.iter().map(|group| ((*group).to_owned(), error(group))).collect()
    }

    fn named(warned: Vec<(String, KafkaError)>) -> Vec<String> {
        warned.into_iter().map(|(group, _)| group).collect()
    }

    #[test]
    fn an_unreadable_group_is_warned_about_once_while_it_stays_unreadable() {
        let mut unreadable = UnreadableGroups::default();
        assert_eq!(named(unreadable.update(failed(&["a/b", "c"]))), ["a/b", "c"]);
        assert!(unreadable.update(failed(&["a/b", "c"])).is_empty(), "not again while unreadable");
        assert!(unreadable.update(failed(&["a/b"])).is_empty(), "c reads again");
        assert_eq!(named(unreadable.update(failed(&["a/b", "c"]))), ["c"], "c fails anew");
        assert!(unreadable.update(BTreeMap::new()).is_empty());
        assert_eq!(named(unreadable.update(failed(&["a/b"]))), ["a/b"]);
    }
}
