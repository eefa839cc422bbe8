//! The newest record of each watched partition, read by a librdkafka handle made for each
//! read and dropped right after it; a partition whose high watermark has not moved since the
//! last poll is not read again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::client::{KafkaContext, client_config};
use super::model::{PartitionNewest, PartitionOffsets};
use crate::config::KafkaConfig;

/// Reads newest records, and remembers what earlier polls read.
pub(super) struct Reader {
    /// Settings of the handle that reads newest records, one handle per read.
    config: ClientConfig,
    /// The handles' shared last broker error (see `KafkaContext`).
    last_error: Arc<Mutex<Option<String>>>,
    /// (topic, partition) → (high watermark, newest timestamp): a partition is read again only
    /// when its high watermark moved.
    cache: HashMap<(String, i32), (i64, PartitionNewest)>,
}

impl Reader {
    pub(super) fn new(config: &KafkaConfig, timeout: Duration, last_error: Arc<Mutex<Option<String>>>) -> Self {
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
        Reader { config: reader, last_error, cache: HashMap::new() }
    }

    /// The newest record's timestamp of each partition, read just below its high watermark.
    /// Partitions whose high watermark has not moved since the last poll are not read again.
    pub(super) fn newest_records(
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
            } else if let Some((high, cached @ PartitionNewest::At(_))) = self.cache.get(&key)
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
        self.cache = newest.iter().filter_map(|(key, value)| Some((key.clone(), (*highs.get(key)?, *value)))).collect();
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
        let reader: BaseConsumer<KafkaContext> =
            match self.config.create_with_context(KafkaContext { last_error: self.last_error.clone() }) {
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
