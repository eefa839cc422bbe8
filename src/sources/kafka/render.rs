//! A Kafka cluster's model as samples: internal topics, watermarks, group lag, and the
//! newest record of each watched topic.

use std::collections::BTreeMap;

use super::diagnose;
use super::model::KafkaState;
use crate::catalog;
use crate::join::Facts;
use crate::snapshot::{Finding, Observation, Samples, StatusLine};

fn indicator(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

impl Observation for KafkaState {
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
        diagnose::findings(self, cluster)
    }

    fn summary(&self) -> Vec<StatusLine> {
        diagnose::status_lines(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::rendered_alone as rendered;
    use crate::sources::kafka::model::{GroupState, InternalTopic, PartitionOffsets, committed};

    #[test]
    fn renders_every_family_with_its_labels() {
        let state = KafkaState {
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
}
