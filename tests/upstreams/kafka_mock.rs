//! The Kafka source against librdkafka's built-in mock cluster (`rdkafka::mocking`), which
//! runs inside this test process: no stack needed, so this test is not ignored.
//!
//! Unlike the test stack's Tansu, the mock reports exact high watermarks, so records are
//! produced here in multi-record batches, the case Tansu under-counts. The mock implements only
//! the data path (librdkafka 2.12.1, `rdkafka_mock_handlers.c`: Produce, Fetch, ListOffsets,
//! OffsetFetch, OffsetCommit, ApiVersion, Metadata, FindCoordinator, the group join protocol,
//! transactions, telemetry): no DescribeConfigs, DescribeGroups, ListGroups or DeleteGroups.
//! Its OffsetFetch also answers only for the topics a request lists, and a group's offsets are
//! asked for with no list (ListConsumerGroupOffsets of the whole group), so it returns none.
//! The mock therefore cannot stand in for the paths Tansu answers poorly (compaction of
//! auto-created topics, group members) nor for lag; those stay with the real-broker tests
//! (tests/upstreams/kafka.rs) and the unit tests. Its missing DescribeConfigs does test one thing: how
//! the source degrades on a broker that cannot describe configs.

use crate::common;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use common::{Exporter, Exposition};

const TOPIC: &str = "outbox.event.order";

#[tokio::test]
async fn batched_records_give_exact_watermarks_and_the_newest_record() {
    let _room = common::room::enter(module_path!());
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic(TOPIC, 2, 1).unwrap();
    let bootstrap = mock.bootstrap_servers();

    // Everything is queued before the flush: several records per batch.
    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", &bootstrap).set("linger.ms", "50").create().unwrap();
    let base = 1_700_000_000_000_i64;
    for (partition, count) in [(0, 5), (1, 2)] {
        for index in 0..count {
            let record = BaseRecord::to(TOPIC)
                .partition(partition)
                .key("k")
                .payload("event")
                .timestamp(base + i64::from(partition) * 10_000 + i64::from(index) * 1_000);
            producer.send(record).unwrap();
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "poll: {{interval: 1s, timeout: 5s}}\nsources:\n  kafka:\n    - name: mock\n      bootstrap: {bootstrap}\n      \
             internal_topics: []\n      topics: ['{TOPIC}']\n"
        ),
    )
    .unwrap();
    let exporter = Exporter::start(&["--config.file", &config.to_string_lossy()]);
    let last_published = |e: &Exposition| e.value("outbox_last_published_timestamp_seconds", &[("topic", TOPIC)]);
    let seen = exporter.wait_for("the newest record", Duration::from_secs(30), |e| last_published(e).is_some()).await;

    assert_eq!(seen.value("debezium_exporter_source_up", &[("source", "kafka"), ("target", "mock")]), Some(1.0));
    let high =
        |partition| seen.value("kafka_topic_partition_high_watermark", &[("topic", TOPIC), ("partition", partition)]);
    assert_eq!((high("0"), high("1")), (Some(5.0), Some(2.0)), "exact, whatever the batching");
    // The newest of 7 records, partition 1's last, read back from inside a 2-record batch.
    assert_eq!(last_published(&seen), Some(1_700_000_011.0));
}

/// The mock has no DescribeConfigs: presence, what runbook step 3b is about, is still reported
/// and the source stays up; only `compacted` is unknown, so it is left out.
#[tokio::test]
async fn a_broker_that_cannot_describe_configs_still_reports_internal_topics() {
    let _room = common::room::enter(module_path!());
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic("connect-configs", 1, 1).unwrap();
    let bootstrap = mock.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "poll: {{interval: 1s, timeout: 5s}}\nsources:\n  kafka:\n    - name: mock\n      bootstrap: {bootstrap}\n"
        ),
    )
    .unwrap();
    let exporter = Exporter::start(&["--config.file", &config.to_string_lossy()]);
    let present = |e: &Exposition, topic| e.value("kafka_connect_internal_topic_present", &[("topic", topic)]);
    let seen = exporter
        .wait_for("internal topics", Duration::from_secs(30), |e| present(e, "connect-configs").is_some())
        .await;

    assert_eq!(seen.value("debezium_exporter_source_up", &[("source", "kafka"), ("target", "mock")]), Some(1.0));
    assert_eq!(present(&seen, "connect-configs"), Some(1.0));
    assert_eq!(present(&seen, "connect-offsets"), Some(0.0));
    assert_eq!(present(&seen, "connect-status"), Some(0.0));
    assert_eq!(seen.value("kafka_connect_internal_topic_compacted", &[("topic", "connect-configs")]), None);
}
