//! Kafka itself: Connect's internal topics, the watermarks and newest record of watched topics,
//! and how far watched consumer groups are behind.

use super::metric::{Kind, Metric};

const SOURCE: &str = "kafka";

pub const CONNECT_INTERNAL_TOPIC_PRESENT: Metric = Metric {
    name: "kafka_connect_internal_topic_present",
    help: "1 if the Kafka Connect internal topic (config, offset or status storage) exists, 0 if it is missing.",
    kind: Kind::Gauge,
    labels: &["cluster", "topic"],
    source: SOURCE,
};

pub const CONNECT_INTERNAL_TOPIC_COMPACTED: Metric = Metric {
    name: "kafka_connect_internal_topic_compacted",
    help: "1 if the internal topic's cleanup.policy includes compact; 0 otherwise, also when the broker reports no cleanup.policy at all. Absent while the topic is missing.",
    kind: Kind::Gauge,
    labels: &["cluster", "topic"],
    source: SOURCE,
};

pub const TOPIC_PARTITION_HIGH_WATERMARK: Metric = Metric {
    name: "kafka_topic_partition_high_watermark",
    help: "Offset the next record appended to this partition of a watched topic will get.",
    kind: Kind::Gauge,
    labels: &["cluster", "topic", "partition"],
    source: SOURCE,
};

pub const TOPIC_PARTITION_LOW_WATERMARK: Metric = Metric {
    name: "kafka_topic_partition_low_watermark",
    help: "Oldest offset still stored in this partition of a watched topic.",
    kind: Kind::Gauge,
    labels: &["cluster", "topic", "partition"],
    source: SOURCE,
};

pub const CONSUMERGROUP_LAG: Metric = Metric {
    name: "kafka_consumergroup_lag",
    help: "Records of this partition the watched group has not committed yet: high watermark minus committed offset, never below 0.",
    kind: Kind::Gauge,
    labels: &["cluster", "group", "topic", "partition"],
    source: SOURCE,
};

pub const CONSUMERGROUP_LAG_SUM: Metric = Metric {
    name: "kafka_consumergroup_lag_sum",
    help: "kafka_consumergroup_lag summed over the partitions of one topic.",
    kind: Kind::Gauge,
    labels: &["cluster", "group", "topic"],
    source: SOURCE,
};

pub const CONSUMERGROUP_MEMBERS: Metric = Metric {
    name: "kafka_consumergroup_members",
    help: "Members of the watched consumer group, as the group coordinator describes it.",
    kind: Kind::Gauge,
    labels: &["cluster", "group"],
    source: SOURCE,
};

pub const OUTBOX_LAST_PUBLISHED_TIMESTAMP_SECONDS: Metric = Metric {
    name: "outbox_last_published_timestamp_seconds",
    help: "Timestamp of the newest record on a watched topic (the record just below each partition's high watermark). Absent while the topic is empty.",
    kind: Kind::Gauge,
    labels: &["cluster", "topic"],
    source: SOURCE,
};

pub(super) const ALL: &[&Metric] = &[
    &CONNECT_INTERNAL_TOPIC_PRESENT,
    &CONNECT_INTERNAL_TOPIC_COMPACTED,
    &TOPIC_PARTITION_HIGH_WATERMARK,
    &TOPIC_PARTITION_LOW_WATERMARK,
    &CONSUMERGROUP_LAG,
    &CONSUMERGROUP_LAG_SUM,
    &CONSUMERGROUP_MEMBERS,
    &OUTBOX_LAST_PUBLISHED_TIMESTAMP_SECONDS,
];
