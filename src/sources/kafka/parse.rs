//! Pure: what the cluster answered (metadata, configs, watermarks, newest records) → the
//! model. Brokers differ in what they report; the rules here are where that is decided.

use std::collections::{BTreeMap, HashMap};

use super::model::{InternalTopic, PartitionNewest, PartitionOffsets};

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

/// Connect's internal topics `names`: present when the metadata lists them, compacted as
/// their `cleanup.policy` says (unknown for a topic DescribeConfigs did not answer for).
pub(super) fn internal_topics(
    names: &[String],
    topics: &BTreeMap<String, Vec<i32>>,
    policies: &HashMap<String, Option<String>>,
) -> Vec<InternalTopic> {
    names
        .iter()
        .map(|name| InternalTopic {
            name: name.clone(),
            present: topics.contains_key(name),
            compacted: policies.get(name).map(|policy| is_compacted(policy.as_deref())),
        })
        .collect()
}

/// Every partition of the `watched` topics whose watermarks were answered.
pub(super) fn partitions(
    watched: &[&String],
    topics: &BTreeMap<String, Vec<i32>>,
    watermarks: &HashMap<(String, i32), (i64, i64)>,
) -> Vec<PartitionOffsets> {
    watched
        .iter()
        .flat_map(|topic| topics[*topic].iter().map(move |partition| ((*topic).clone(), *partition)))
        .filter_map(|key| {
            let (low, high) = *watermarks.get(&key)?;
            Some(PartitionOffsets { topic: key.0, partition: key.1, low, high })
        })
        .collect()
}

/// Each watched topic's newest record from its partitions' (a partition not read is unread).
pub(super) fn newest_records(
    watched: &[&String],
    partitions: &[PartitionOffsets],
    newest: &HashMap<(String, i32), PartitionNewest>,
) -> BTreeMap<String, Option<i64>> {
    watched
        .iter()
        .map(|topic| {
            let of_topic = partitions.iter().filter(|p| &&p.topic == topic);
            let values = of_topic.map(|p| newest.get(&(p.topic.clone(), p.partition)).copied());
            let newest = newest_of(values.map(|value| value.unwrap_or(PartitionNewest::Unread)));
            ((*topic).clone(), newest)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_newest_record_of_a_topic_needs_every_partition_that_has_records() {
        use PartitionNewest::*;
        assert_eq!(newest_of([At(5), Empty, At(9)]), Some(9));
        assert_eq!(newest_of([Empty, Empty]), None);
        assert_eq!(newest_of([At(5), Unread]), None);
    }

    #[test]
    fn an_internal_topic_is_compacted_only_if_described() {
        let topics = BTreeMap::from([("connect-offsets".to_owned(), vec![0]), ("connect-status".to_owned(), vec![0])]);
        let policies = HashMap::from([("connect-offsets".to_owned(), Some("compact".to_owned()))]);
        let names = ["connect-offsets", "connect-status", "connect-configs"].map(str::to_owned);
        let found = internal_topics(&names, &topics, &policies);
        let seen: Vec<(bool, Option<bool>)> = found.iter().map(|topic| (topic.present, topic.compacted)).collect();
        assert_eq!(seen, [(true, Some(true)), (true, None), (false, None)]);
    }

    #[test]
    fn a_partition_without_watermarks_is_left_out_and_its_topic_unread() {
        let order = "outbox.event.order".to_owned();
        let topics = BTreeMap::from([(order.clone(), vec![0, 1])]);
        let watermarks = HashMap::from([((order.clone(), 0), (0, 3))]);
        let watched = [&order];
        let found = partitions(&watched, &topics, &watermarks);
        assert_eq!(found, [PartitionOffsets { topic: order.clone(), partition: 0, low: 0, high: 3 }]);
        let read = HashMap::from([((order.clone(), 0), PartitionNewest::At(7))]);
        assert_eq!(newest_records(&watched, &found, &read), BTreeMap::from([(order.clone(), Some(7))]));
        assert_eq!(newest_records(&watched, &found, &HashMap::new()), BTreeMap::from([(order, None)]));
    }
}
