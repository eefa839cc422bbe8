//! The model of one Kafka cluster as one poll saw it: internal topics, watched partitions,
//! watched groups and their lag, newest records.

use std::collections::BTreeMap;

/// What one poll saw of one Kafka cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KafkaState {
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

/// What reading below the high watermark of one partition gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PartitionNewest {
    Empty,
    Unread,
    At(i64),
}

#[cfg(test)]
pub(super) fn committed(topic: &str, partition: i32, offset: i64, high: Option<i64>) -> CommittedOffset {
    CommittedOffset { topic: topic.into(), partition, offset, high }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_never_negative() {
        assert_eq!(committed("t", 0, 3, Some(10)).lag(), Some(7));
        assert_eq!(committed("t", 0, 10, Some(10)).lag(), Some(0));
        // Tansu: 5 records in one batch give a high watermark of 1 while the group committed 5.
        assert_eq!(committed("t", 0, 5, Some(1)).lag(), Some(0));
        assert_eq!(committed("gone", 0, 5, None).lag(), None);
    }
}
