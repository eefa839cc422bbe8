//! The test broker, read directly: what a downstream consumer would see on a topic.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::env_or;

/// The test broker's bootstrap address (`KAFKA_PORT` from scripts/stack-env).
pub fn bootstrap() -> String {
    format!("127.0.0.1:{}", env_or("KAFKA_PORT", "9092"))
}

/// Reads `topic` from the beginning of every partition (assigned, no consumer group: group
/// joins take ≈ 23 s on the test broker) until every key of `expected` was seen; returns how
/// many records were read. Panics naming the missing keys after `patience`.
pub fn read_keys(topic: &str, expected: &BTreeSet<String>, patience: Duration) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        // librdkafka wants a group even for assign(); it is never joined nor committed to.
        .set("group.id", format!("{topic}-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .create()
        .unwrap();
    let deadline = Instant::now() + patience;
    let partitions = loop {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap();
        let found = metadata.topics().first().filter(|found| found.error().is_none());
        if let Some(found) = found.filter(|found| !found.partitions().is_empty()) {
            break found.partitions().iter().map(|partition| partition.id()).collect::<Vec<_>>();
        }
        assert!(Instant::now() < deadline, "topic {topic} did not appear within {patience:?}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        assignment.add_partition_offset(topic, partition, Offset::Beginning).unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let (mut seen, mut read) = (BTreeSet::new(), 0);
    while !expected.is_subset(&seen) {
        let missing: Vec<_> = expected.difference(&seen).collect();
        assert!(Instant::now() < deadline, "{topic}: after {read} records, never received {missing:?}");
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            read += 1;
            // Connect's JsonConverter writes the string key as a JSON string.
            let key = message.key().unwrap_or_default();
            seen.insert(serde_json::from_slice(key).unwrap_or_else(|_| String::from_utf8_lossy(key).into_owned()));
        }
    }
    read
}
