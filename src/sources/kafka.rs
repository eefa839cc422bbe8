//! Kafka itself, through librdkafka: whether Kafka Connect's internal topics exist and are
//! compacted, the watermarks and newest record of watched (outbox, CDC) topics, and how far
//! watched consumer groups are behind.
//!
//! Each cluster gets two librdkafka handles, created once and reused by every poll: a consumer
//! (metadata, ListOffsets, group listing, committed offsets) and an admin client
//! (DescribeConfigs, which only the admin API has). The newest records are read by a third
//! handle made for each read and dropped after it (see `read_newest` for why). librdkafka's
//! calls block, so a whole poll runs in one `spawn_blocking` task, each call bounded by what is
//! left of the poll's deadline; a poll that finds the previous one still running fails instead
//! of queueing.
//!
//! Brokers differ in what they report; see the README's Kafka section for the Tansu test
//! broker (high watermark under-counted, no group members, DescribeConfigs without defaults).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{CStr, CString, c_char};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::bindings as ffi;
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::catalog;
use crate::catalog::{Anchor, ErrorReason, Severity, SourceKind};
use crate::config::{KafkaConfig, NamePattern};
use crate::join::{Facts, PublishedTopics};
use crate::snapshot::{Finding, Observation, Samples, StatusLine};
use crate::source::{PollError, Source};

/// What one poll saw of one Kafka cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterState {
    pub internal_topics: Vec<InternalTopic>,
    /// Every partition of every watched topic.
    pub partitions: Vec<PartitionOffsets>,
    pub groups: Vec<GroupState>,
    /// Watched topic → newest record's timestamp in milliseconds (`None`: empty or unreadable).
    pub newest_records: BTreeMap<String, Option<i64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InternalTopic {
    pub name: String,
    pub present: bool,
    /// `None` when the topic is missing or the broker did not answer for it.
    pub compacted: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartitionOffsets {
    pub topic: String,
    pub partition: i32,
    pub low: i64,
    pub high: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    pub name: String,
    /// `None` when the coordinator could not describe the group.
    pub members: Option<usize>,
    pub committed: Vec<CommittedOffset>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The partition's high watermark; `None` if the topic is gone or did not answer.
    pub high: Option<i64>,
}

impl CommittedOffset {
    /// Records not committed yet. Never negative: a broker that under-reports its high
    /// watermark (Tansu reports the last batch's base offset + 1) would otherwise show a group
    /// that has read everything as ahead of the log.
    pub fn lag(&self) -> Option<i64> {
        self.high.map(|high| (high - self.offset).max(0))
    }
}

/// Whether a topic's `cleanup.policy` (`compact`, `delete`, `compact,delete`) compacts.
/// A broker that leaves the key out has not said so, and we do not claim it.
pub fn is_compacted(cleanup_policy: Option<&str>) -> bool {
    cleanup_policy.is_some_and(|policy| policy.split(',').any(|part| part.trim() == "compact"))
}

/// The newest timestamp of a topic from its partitions' newest records; unknown if any
/// partition that holds records could not be read.
pub fn newest_of(partitions: impl IntoIterator<Item = PartitionNewest>) -> Option<i64> {
    let mut newest = None;
    for partition in partitions {
        match partition {
            PartitionNewest::Empty => {}
            PartitionNewest::Unread => return None,
            PartitionNewest::At(millis) => newest = newest.max(Some(millis)),
        }
    }
    newest
}

/// What reading below the high watermark of one partition gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PartitionNewest {
    Empty,
    Unread,
    At(i64),
}

fn indicator(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

/// A record timestamp (milliseconds since the epoch) as a time; `None` for an empty topic.
fn millis_to_time(millis: Option<i64>) -> Option<SystemTime> {
    millis
        .and_then(|millis| u64::try_from(millis).ok())
        .map(|millis| SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
}

impl Observation for ClusterState {
    fn render(&self, cluster: &str, _facts: &Facts, out: &mut Samples) {
        for topic in &self.internal_topics {
            out.push(&catalog::CONNECT_INTERNAL_TOPIC_PRESENT, [cluster, &topic.name], indicator(topic.present));
            if let Some(compacted) = topic.compacted {
                out.push(&catalog::CONNECT_INTERNAL_TOPIC_COMPACTED, [cluster, &topic.name], indicator(compacted));
            }
        }
        for partition in &self.partitions {
            let id = partition.partition.to_string();
            let labels = [cluster, &partition.topic, &id];
            out.push(&catalog::TOPIC_PARTITION_HIGH_WATERMARK, labels, partition.high as f64);
            out.push(&catalog::TOPIC_PARTITION_LOW_WATERMARK, labels, partition.low as f64);
        }
        for group in &self.groups {
            if let Some(members) = group.members {
                out.push(&catalog::CONSUMERGROUP_MEMBERS, [cluster, &group.name], members as f64);
            }
            let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
            for committed in &group.committed {
                let Some(lag) = committed.lag() else { continue };
                let id = committed.partition.to_string();
                out.push(&catalog::CONSUMERGROUP_LAG, [cluster, &group.name, &committed.topic, &id], lag as f64);
                *sums.entry(&committed.topic).or_default() += lag;
            }
            for (topic, sum) in sums {
                out.push(&catalog::CONSUMERGROUP_LAG_SUM, [cluster, &group.name, topic], sum as f64);
            }
        }
        for (topic, newest) in &self.newest_records {
            if let Some(millis) = newest {
                out.push(&catalog::OUTBOX_LAST_PUBLISHED_TIMESTAMP_SECONDS, [cluster, topic], *millis as f64 / 1000.0);
            }
        }
    }

    fn findings(&self, cluster: &str, _facts: &Facts) -> Vec<Finding> {
        let mut findings = Vec::new();
        for topic in &self.internal_topics {
            let subject = format!("kafka {cluster} / internal topic {}", topic.name);
            if !topic.present {
                findings.push(Finding {
                    severity: Severity::Critical,
                    subject,
                    problem: "Kafka Connect's internal topic is missing (runbook step 3b deletes these)".to_owned(),
                    runbook: Anchor::S1InternalTopics.id(),
                    actions: vec![
                        "Expect connectors to keep RUNNING in REST while offset commits stall and the worker log \
                         floods with unknown-topic retries; DELETE /connectors/N then times out"
                            .to_owned(),
                        "Re-create the topic compacted (cleanup.policy=compact) and restart the workers".to_owned(),
                        "Deleting and re-creating a connector under the same name does not re-snapshot when its \
                         old offset survived: use a new name, or stop it and DELETE /connectors/N/offsets"
                            .to_owned(),
                    ],
                });
            } else if topic.compacted == Some(false) {
                findings.push(Finding {
                    severity: Severity::Warning,
                    subject,
                    problem: "Kafka Connect's internal topic is not compacted: stored offsets and configs can be \
                              deleted by retention"
                        .to_owned(),
                    runbook: Anchor::S1InternalTopics.id(),
                    actions: vec![format!("Set cleanup.policy=compact on {}", topic.name)],
                });
            }
        }
        findings
    }

    fn summary(&self) -> Vec<StatusLine> {
        let mut lines: Vec<StatusLine> = self
            .internal_topics
            .iter()
            .map(|topic| StatusLine {
                subject: format!("topic {}", topic.name),
                state: match (topic.present, topic.compacted) {
                    (false, _) => "missing",
                    (true, Some(true)) => "compacted",
                    (true, Some(false)) => "not compacted",
                    (true, None) => "present",
                }
                .to_owned(),
                healthy: topic.present && topic.compacted != Some(false),
                detail: None,
            })
            .collect();
        for group in &self.groups {
            let lag: i64 = group.committed.iter().filter_map(CommittedOffset::lag).sum();
            lines.push(StatusLine {
                subject: format!("group {}", group.name),
                state: format!("lag {lag}"),
                healthy: true,
                detail: group.members.map(|members| format!("{members} members")),
            });
        }
        lines
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Routes librdkafka's log to `tracing` and keeps its last error, so a failed call can say
/// why (`Connect to ipv4#127.0.0.1:1 failed: Connection refused`): a consumer's error events
/// carry only a code, the reason is in the log.
#[derive(Default)]
struct Context {
    last_error: Arc<Mutex<Option<String>>>,
}

impl Context {
    fn remember(&self, reason: &str) {
        *self.last_error.lock().expect("last error lock poisoned") = Some(reason.to_owned());
    }
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
                tracing::debug!(facility, "librdkafka: {message}");
                self.remember(message);
            }
            _ => tracing::trace!(facility, "librdkafka: {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!("librdkafka: {error}: {reason}");
        self.remember(reason);
    }
}

impl ConsumerContext for Context {}

/// The long-lived handles of one cluster, and what earlier polls read of newest records.
struct Clients {
    /// The `cluster` label, for log lines.
    cluster: String,
    /// Whether the last DescribeConfigs failed: its warning is logged once, not every poll.
    describe_configs_failing: bool,
    consumer: BaseConsumer<Context>,
    /// Settings of the handle that reads newest records, one handle per read.
    reader: ClientConfig,
    admin: AdminClient<Context>,
    last_error: Arc<Mutex<Option<String>>>,
    /// (topic, partition) → (high watermark, newest timestamp): a partition is read again only
    /// when its high watermark moved.
    newest_cache: HashMap<(String, i32), (i64, PartitionNewest)>,
}

/// (topic, partition) → (low, high) watermark.
type Watermarks = HashMap<(String, i32), (i64, i64)>;

/// What to watch on one cluster.
struct Watch {
    internal_topics: Vec<String>,
    topics: Vec<NamePattern>,
    groups: Vec<NamePattern>,
}

/// Polls one Kafka cluster.
pub struct KafkaSource {
    cluster: String,
    published: Arc<PublishedTopics>,
    timeout: Duration,
    watch: Arc<Watch>,
    clients: Arc<Mutex<Clients>>,
}

/// The client settings every handle shares: where the brokers are, how to log in, and what a
/// monitor must never do.
fn client_config(config: &KafkaConfig, timeout: Duration) -> ClientConfig {
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

impl KafkaSource {
    /// Creates the cluster's handles; librdkafka connects lazily, so this fails only on settings.
    pub fn new(config: &KafkaConfig, timeout: Duration, published: Arc<PublishedTopics>) -> Result<Self, KafkaError> {
        let last_error = Arc::new(Mutex::new(None));
        let context = || Context { last_error: last_error.clone() };
        // Metadata, watermarks, groups: this handle never subscribes, assigns nor commits, so it
        // never joins a group on the broker and never fetches a record.
        let consumer = client_config(config, timeout).create_with_context(context())?;
        // The newest records are read by a handle of their own, made for each read and dropped
        // after it (see `read_newest`). librdkafka refuses `assign` without a group id; it never
        // subscribes or commits, so it never joins the group.
        let mut reader = client_config(config, timeout);
        reader
            .set("group.id", "debezium-exporter")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("isolation.level", "read_uncommitted")
            .set("auto.offset.reset", "latest")
            // Longer than any read: the Fetch that librdkafka sends at the log end right after
            // the newest record arrives is still waiting when the handle is dropped, so its
            // answer is never parsed (see `read_newest`).
            .set("fetch.wait.max.ms", (timeout.as_millis() + 1000).min(300_000).to_string())
            .set("socket.timeout.ms", (timeout.as_millis() + 3000).clamp(10_000, 301_000).to_string());
        let admin = client_config(config, timeout).create_with_context(context())?;
        Ok(KafkaSource {
            cluster: config.cluster(),
            published,
            timeout,
            watch: Arc::new(Watch {
                internal_topics: config.internal_topics.clone(),
                topics: config.topics.clone(),
                groups: config.consumer_groups.clone(),
            }),
            clients: Arc::new(Mutex::new(Clients {
                cluster: config.cluster(),
                describe_configs_failing: false,
                consumer,
                reader,
                admin,
                last_error,
                newest_cache: HashMap::new(),
            })),
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
        let deadline = Instant::now() + self.timeout;
        let state = tokio::task::spawn_blocking(move || {
            let mut clients = match clients.try_lock() {
                Ok(clients) => clients,
                Err(TryLockError::WouldBlock) => {
                    return Err(PollError::new(ErrorReason::Timeout, "the previous poll is still waiting for Kafka"));
                }
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            };
            clients.observe(&watch, &derived, deadline)
        })
        .await
        .map_err(|error| PollError::new(ErrorReason::Query, format!("Kafka poll task failed: {error}")))
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
                Err(error)
            }
        }
    }
}

/// Time left until `deadline`, or a timeout error naming the step that ran out of it.
fn remaining(deadline: Instant, step: &str) -> Result<Duration, PollError> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| PollError::new(ErrorReason::Timeout, format!("no time left for {step}")))
}

impl Clients {
    fn error(&self, step: &str, error: KafkaError) -> PollError {
        let code = error.rdkafka_error_code();
        let reason = match code {
            Some(
                RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SaslAuthenticationFailed
                | RDKafkaErrorCode::SSL,
            ) => ErrorReason::Connect,
            Some(RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut) => ErrorReason::Timeout,
            _ => ErrorReason::Query,
        };
        let last = self.last_error.lock().expect("last error lock poisoned").clone();
        match (reason, last) {
            (ErrorReason::Timeout | ErrorReason::Connect, Some(last)) => {
                PollError::new(ErrorReason::Connect, format!("{step}: {error} (last broker error: {last})"))
            }
            _ => PollError::new(reason, format!("{step}: {error}")),
        }
    }

    fn observe(
        &mut self,
        watch: &Watch,
        derived: &[NamePattern],
        deadline: Instant,
    ) -> Result<ClusterState, PollError> {
        let state = self.observe_once(watch, derived, deadline)?;
        // A broker error from before this successful poll no longer explains anything.
        *self.last_error.lock().expect("last error lock poisoned") = None;
        Ok(state)
    }

    fn observe_once(
        &mut self,
        watch: &Watch,
        derived: &[NamePattern],
        deadline: Instant,
    ) -> Result<ClusterState, PollError> {
        // Nothing is assigned between polls, so the queue holds only events (broker errors while
        // it is down); serve them so they do not pile up.
        while let Some(event) = self.consumer.poll(Duration::ZERO) {
            if let Err(error) = event {
                tracing::trace!("librdkafka event: {error}");
            }
        }
        let metadata = self
            .consumer
            .fetch_metadata(None, remaining(deadline, "metadata")?)
            .map_err(|error| self.error("metadata", error))?;
        let mut topics: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for topic in metadata.topics().iter().filter(|topic| topic.error().is_none()) {
            topics.insert(topic.name().to_owned(), topic.partitions().iter().map(|p| p.id()).collect());
        }
        let internal_topics = self.internal_topics(&watch.internal_topics, &topics, deadline)?;
        let watched: Vec<&String> = topics
            .keys()
            .filter(|topic| watch.topics.iter().chain(derived).any(|pattern| pattern.matches(topic)))
            .collect();
        let mut groups = self.groups(&watch.groups, deadline)?;

        let mut wanted: BTreeSet<(String, i32)> = BTreeSet::new();
        for topic in &watched {
            wanted.extend(topics[*topic].iter().map(|partition| ((*topic).clone(), *partition)));
        }
        for group in &groups {
            let known = group.committed.iter().filter(|committed| topics.contains_key(&committed.topic));
            wanted.extend(known.map(|committed| (committed.topic.clone(), committed.partition)));
        }
        let watermarks = self.watermarks(&wanted, deadline)?;

        let partitions: Vec<PartitionOffsets> = watched
            .iter()
            .flat_map(|topic| topics[*topic].iter().map(move |partition| ((*topic).clone(), *partition)))
            .filter_map(|key| {
                let (low, high) = *watermarks.get(&key)?;
                Some(PartitionOffsets { topic: key.0, partition: key.1, low, high })
            })
            .collect();
        let newest = self.newest_records(&partitions, deadline);
        let newest_records = watched
            .iter()
            .map(|topic| {
                let of_topic = partitions.iter().filter(|p| &&p.topic == topic);
                let values = of_topic.map(|p| newest.get(&(p.topic.clone(), p.partition)).copied());
                let newest = newest_of(values.map(|value| value.unwrap_or(PartitionNewest::Unread)));
                ((*topic).clone(), newest)
            })
            .collect();
        for committed in groups.iter_mut().flat_map(|group| group.committed.iter_mut()) {
            committed.high = watermarks.get(&(committed.topic.clone(), committed.partition)).map(|(_, high)| *high);
        }
        Ok(ClusterState { internal_topics, partitions, groups, newest_records })
    }

    /// Presence from metadata; `cleanup.policy` from one DescribeConfigs for the present ones.
    fn internal_topics(
        &mut self,
        names: &[String],
        topics: &BTreeMap<String, Vec<i32>>,
        deadline: Instant,
    ) -> Result<Vec<InternalTopic>, PollError> {
        let present: Vec<&String> = names.iter().filter(|name| topics.contains_key(*name)).collect();
        let mut compacted: HashMap<String, bool> = HashMap::new();
        if !present.is_empty() {
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
                        let policy = resource.get("cleanup.policy").and_then(|entry| entry.value.as_deref());
                        compacted.insert((*name).clone(), is_compacted(policy));
                    }
                    // Deleted between the metadata and this call: present says so next poll.
                    Err(error) => tracing::debug!(topic = %name, "describe configs: {error}"),
                }
            }
        }
        Ok(names
            .iter()
            .map(|name| InternalTopic {
                name: name.clone(),
                present: topics.contains_key(name),
                compacted: compacted.get(name).copied(),
            })
            .collect())
    }

    /// Watched groups with their member count and committed offsets (high watermarks are filled
    /// in later). Named groups are asked for directly, so a broker whose group listing is
    /// incomplete (Tansu) still answers; regexes need the listing.
    fn groups(&self, patterns: &[NamePattern], deadline: Instant) -> Result<Vec<GroupState>, PollError> {
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
        for (name, members) in members {
            let client = self.consumer.client().native_ptr();
            let committed = list_group_offsets(client, &name, remaining(deadline, "group offsets")?)
                .map_err(|message| PollError::new(ErrorReason::Query, format!("offsets of group {name}: {message}")))?
                .into_iter()
                .map(|(topic, partition, offset)| CommittedOffset { topic, partition, offset, high: None })
                .collect();
            groups.push(GroupState { name, members, committed });
        }
        Ok(groups)
    }

    /// Low and high watermarks of `partitions`: two batched ListOffsets (earliest, latest).
    fn watermarks(&self, partitions: &BTreeSet<(String, i32)>, deadline: Instant) -> Result<Watermarks, PollError> {
        if partitions.is_empty() {
            return Ok(HashMap::new());
        }
        let query = |spec: Offset, step: &str| -> Result<HashMap<(String, i32), i64>, PollError> {
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

    /// The newest record's timestamp of each partition, read just below its high watermark.
    /// Partitions whose high watermark has not moved since the last poll are not read again.
    fn newest_records(
        &mut self,
        partitions: &[PartitionOffsets],
        deadline: Instant,
    ) -> HashMap<(String, i32), PartitionNewest> {
        let mut newest = HashMap::new();
        let mut pending: HashMap<(String, i32), i64> = HashMap::new();
        for partition in partitions {
            let key = (partition.topic.clone(), partition.partition);
            if partition.high <= partition.low {
                newest.insert(key, PartitionNewest::Empty);
            } else if let Some((high, cached @ PartitionNewest::At(_))) = self.newest_cache.get(&key)
                && *high == partition.high
            {
                newest.insert(key, *cached);
            } else {
                pending.insert(key, partition.high - 1);
            }
        }
        if !pending.is_empty() {
            self.read_newest(&pending, deadline, &mut newest);
        }
        let highs: HashMap<(String, i32), i64> =
            partitions.iter().map(|p| ((p.topic.clone(), p.partition), p.high)).collect();
        self.newest_cache =
            newest.iter().filter_map(|(key, value)| Some((key.clone(), (*highs.get(key)?, *value)))).collect();
        newest
    }

    /// Assigns a new reader handle to `from` (partition → first offset to read) and keeps the
    /// largest timestamp per partition. On a broker that under-reports the high watermark the fetch
    /// returns the rest of the last batch too; those records are already in the queue when the
    /// first one arrives, so the queue is drained before a partition counts as read.
    fn read_newest(
        &self,
        from: &HashMap<(String, i32), i64>,
        deadline: Instant,
        newest: &mut HashMap<(String, i32), PartitionNewest>,
    ) {
        // A handle of its own, dropped after the read: librdkafka sends the next Fetch at the log
        // end as soon as a record arrives, and Tansu answers such a Fetch, once its wait runs
        // out, with a zero topic id and leader-change tags, on which librdkafka 2.12
        // dereferences a null topic name: the exporter died of SIGSEGV. Dropping the handle
        // before that answer (its wait outlasts the read) cancels the Fetch unparsed.
        let reader: BaseConsumer<Context> =
            match self.reader.create_with_context(Context { last_error: self.last_error.clone() }) {
                Ok(reader) => reader,
                Err(error) => {
                    tracing::debug!("newest records: {error}");
                    return;
                }
            };
        let mut assignment = TopicPartitionList::new();
        for ((topic, partition), offset) in from {
            if let Err(error) = assignment.add_partition_offset(topic, *partition, Offset::Offset(*offset)) {
                tracing::debug!("newest record of {topic}/{partition}: {error}");
            }
        }
        if let Err(error) = reader.assign(&assignment) {
            tracing::debug!("newest records: assign failed: {error}");
            return;
        }
        let mut found: HashMap<(String, i32), i64> = HashMap::new();
        let mut drained = false;
        while !(drained && found.len() == from.len()) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
            let wait = if found.len() == from.len() { Duration::ZERO } else { left.min(Duration::from_millis(100)) };
            match reader.poll(wait) {
                Some(Ok(message)) => {
                    drained = false;
                    let key = (message.topic().to_owned(), message.partition());
                    let wanted = from.get(&key).is_some_and(|first| message.offset() >= *first);
                    if let (true, Some(millis)) = (wanted, message.timestamp().to_millis()) {
                        let entry = found.entry(key).or_insert(millis);
                        *entry = (*entry).max(millis);
                    }
                }
                Some(Err(error)) => tracing::debug!("newest records: {error}"),
                None => drained = true,
            }
        }
        drop(reader);
        for key in from.keys() {
            let value = found.get(key).map_or(PartitionNewest::Unread, |millis| PartitionNewest::At(*millis));
            newest.insert(key.clone(), value);
        }
    }
}

/// Frees a librdkafka object when dropped.
struct Owned<T>(*mut T, unsafe extern "C" fn(*mut T));

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from librdkafka's matching constructor and is freed once.
            unsafe { (self.1)(self.0) }
        }
    }
}

/// # Safety
/// `text` must be null or a NUL-terminated string that outlives the call.
unsafe fn text_of(text: *const c_char) -> String {
    if text.is_null() { String::new() } else { unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned() }
}

/// The committed offsets of `group`: librdkafka's ListConsumerGroupOffsets admin call (an
/// OffsetFetch to the group's coordinator). The rdkafka crate does not wrap it, and a
/// consumer's own `committed_offsets` only reads the group it was created for; without this,
/// every watched group would need a client of its own.
fn list_group_offsets(
    client: *mut ffi::rd_kafka_t,
    group: &str,
    timeout: Duration,
) -> Result<Vec<(String, i32, i64)>, String> {
    let group_id = CString::new(group).map_err(|_| "the group name contains NUL".to_owned())?;
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: `client` is a live handle owned by the caller for the whole call; every object
    // created here is owned by an `Owned` guard, and the event's result is only read before the
    // event is destroyed; strings are copied out.
    unsafe {
        let queue = Owned(ffi::rd_kafka_queue_new(client), ffi::rd_kafka_queue_destroy);
        let options = Owned(
            ffi::rd_kafka_AdminOptions_new(
                client,
                ffi::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            ),
            ffi::rd_kafka_AdminOptions_destroy,
        );
        let mut errstr = [0 as c_char; 256];
        ffi::rd_kafka_AdminOptions_set_request_timeout(options.0, timeout_ms, errstr.as_mut_ptr(), errstr.len());
        let request = Owned(
            ffi::rd_kafka_ListConsumerGroupOffsets_new(group_id.as_ptr(), std::ptr::null()),
            ffi::rd_kafka_ListConsumerGroupOffsets_destroy,
        );
        let mut requests = [request.0];
        ffi::rd_kafka_ListConsumerGroupOffsets(client, requests.as_mut_ptr(), 1, options.0, queue.0);
        // The admin request times out by itself; the extra second only covers its delivery.
        let event =
            Owned(ffi::rd_kafka_queue_poll(queue.0, timeout_ms.saturating_add(1000)), ffi::rd_kafka_event_destroy);
        if event.0.is_null() {
            return Err("no answer in time".to_owned());
        }
        if ffi::rd_kafka_event_error(event.0) != ffi::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(text_of(ffi::rd_kafka_event_error_string(event.0)));
        }
        let result = ffi::rd_kafka_event_ListConsumerGroupOffsets_result(event.0);
        if result.is_null() {
            return Err("unexpected answer to ListConsumerGroupOffsets".to_owned());
        }
        let mut count = 0;
        let groups = ffi::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
        let mut offsets = Vec::new();
        for index in 0..count {
            let group_result = *groups.add(index);
            let error = ffi::rd_kafka_group_result_error(group_result);
            if !error.is_null() {
                return Err(text_of(ffi::rd_kafka_error_string(error)));
            }
            let list = ffi::rd_kafka_group_result_partitions(group_result);
            if list.is_null() {
                continue;
            }
            let elements = std::slice::from_raw_parts((*list).elems, usize::try_from((*list).cnt).unwrap_or(0));
            for element in elements {
                // No commit for this partition yet: -1001 (RD_KAFKA_OFFSET_INVALID).
                if element.err == ffi::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && element.offset >= 0 {
                    offsets.push((text_of(element.topic), element.partition, element.offset));
                }
            }
        }
        Ok(offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_internal_topic_is_a_critical_finding_with_step_3b() {
        let state = ClusterState {
            internal_topics: vec![
                InternalTopic { name: "connect-offsets".into(), present: false, compacted: None },
                InternalTopic { name: "connect-status".into(), present: true, compacted: Some(false) },
                InternalTopic { name: "connect-configs".into(), present: true, compacted: Some(true) },
            ],
            ..ClusterState::default()
        };
        let findings = state.findings("k", &Facts::default());
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert_eq!(findings[0].subject, "kafka k / internal topic connect-offsets");
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(findings[0].problem.contains("step 3b"));
        assert_eq!(findings[1].severity, Severity::Warning);
    }

    fn rendered(state: &ClusterState) -> String {
        let mut out = Samples::default();
        state.render("dc1", &Facts::default(), &mut out);
        let mut text = String::new();
        for metric in catalog::all() {
            for (labels, value) in out.get(metric) {
                text.push_str(&format!("{} {labels:?} {value}\n", metric.name));
            }
        }
        text
    }

    fn committed(topic: &str, partition: i32, offset: i64, high: Option<i64>) -> CommittedOffset {
        CommittedOffset { topic: topic.into(), partition, offset, high }
    }

    #[test]
    fn cleanup_policy_is_compacted_only_when_the_broker_says_so() {
        assert!(is_compacted(Some("compact")));
        assert!(is_compacted(Some("compact,delete")));
        assert!(is_compacted(Some("delete, compact")));
        assert!(!is_compacted(Some("delete")));
        // Tansu answers `{}` for auto-created topics: not a claim of compaction.
        assert!(!is_compacted(None));
    }

    #[test]
    fn lag_is_never_negative() {
        assert_eq!(committed("t", 0, 3, Some(10)).lag(), Some(7));
        assert_eq!(committed("t", 0, 10, Some(10)).lag(), Some(0));
        // Tansu: 5 records in one batch give a high watermark of 1 while the group committed 5.
        assert_eq!(committed("t", 0, 5, Some(1)).lag(), Some(0));
        assert_eq!(committed("gone", 0, 5, None).lag(), None);
    }

    #[test]
    fn the_newest_record_of_a_topic_needs_every_partition_that_has_records() {
        use PartitionNewest::*;
        assert_eq!(newest_of([At(5), Empty, At(9)]), Some(9));
        assert_eq!(newest_of([Empty, Empty]), None);
        assert_eq!(newest_of([At(5), Unread]), None);
    }

    #[test]
    fn renders_every_family_with_its_labels() {
        let state = ClusterState {
            internal_topics: vec![
                InternalTopic { name: "connect-configs".into(), present: true, compacted: Some(true) },
                InternalTopic { name: "connect-offsets".into(), present: true, compacted: Some(false) },
                InternalTopic { name: "connect-status".into(), present: false, compacted: None },
            ],
            partitions: vec![
                PartitionOffsets { topic: "outbox.event.order".into(), partition: 0, low: 0, high: 12 },
                PartitionOffsets { topic: "outbox.event.order".into(), partition: 1, low: 2, high: 2 },
            ],
            groups: vec![GroupState {
                name: "billing".into(),
                members: Some(2),
                committed: vec![
                    committed("outbox.event.order", 0, 10, Some(12)),
                    committed("outbox.event.order", 1, 2, Some(2)),
                    committed("deleted-topic", 0, 4, None),
                ],
            }],
            newest_records: BTreeMap::from([
                ("outbox.event.order".into(), Some(1_700_000_000_123)),
                ("outbox.event.empty".into(), None),
            ]),
        };
        let text = rendered(&state);
        let expected = r#"kafka_connect_internal_topic_present ["dc1", "connect-configs"] 1
kafka_connect_internal_topic_present ["dc1", "connect-offsets"] 1
kafka_connect_internal_topic_present ["dc1", "connect-status"] 0
kafka_connect_internal_topic_compacted ["dc1", "connect-configs"] 1
kafka_connect_internal_topic_compacted ["dc1", "connect-offsets"] 0
kafka_topic_partition_high_watermark ["dc1", "outbox.event.order", "0"] 12
kafka_topic_partition_high_watermark ["dc1", "outbox.event.order", "1"] 2
kafka_topic_partition_low_watermark ["dc1", "outbox.event.order", "0"] 0
kafka_topic_partition_low_watermark ["dc1", "outbox.event.order", "1"] 2
kafka_consumergroup_lag ["dc1", "billing", "outbox.event.order", "0"] 2
kafka_consumergroup_lag ["dc1", "billing", "outbox.event.order", "1"] 0
kafka_consumergroup_lag_sum ["dc1", "billing", "outbox.event.order"] 2
kafka_consumergroup_members ["dc1", "billing"] 2
outbox_last_published_timestamp_seconds ["dc1", "outbox.event.order"] 1700000000.123
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn record_timestamps_become_times() {
        assert_eq!(millis_to_time(Some(1_500)), Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_500)));
        assert_eq!(millis_to_time(None), None);
        assert_eq!(millis_to_time(Some(-1)), None, "no timestamp");
    }
}
