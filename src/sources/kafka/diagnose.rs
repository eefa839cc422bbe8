//! What `check` tells the person on call about a Kafka cluster (with runbook anchors), and
//! the landing page's lines: Connect's internal topics and the watched groups' lag.

use super::model::{CommittedOffset, KafkaState};
use crate::catalog::{Anchor, Severity};
use crate::join::pipeline::{GroupPart, Part, TopicPart};
use crate::snapshot::{Finding, StatusLine};

/// A missing internal topic is critical (runbook step 3b deletes these), one that is not
/// compacted a warning.
pub(super) fn findings(state: &KafkaState, cluster: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for topic in &state.internal_topics {
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

/// One line per internal topic, one per watched topic with its newest record, then one per
/// watched group with its total lag.
pub(super) fn status_lines(state: &KafkaState) -> Vec<StatusLine> {
    let mut lines: Vec<StatusLine> = state
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
            part: None,
        })
        .collect();
    for (topic, newest) in &state.newest_records {
        lines.push(StatusLine {
            subject: format!("topic {topic}"),
            state: if newest.is_some() { "has records" } else { "no record read" }.to_owned(),
            healthy: true,
            detail: None,
            part: Some(Part::Topic(TopicPart { name: topic.clone(), newest_millis: *newest })),
        });
    }
    for group in &state.groups {
        let lag: i64 = group.committed.iter().filter_map(CommittedOffset::lag).sum();
        let mut topics: Vec<String> = group.committed.iter().map(|committed| committed.topic.clone()).collect();
        topics.sort();
        topics.dedup();
        lines.push(StatusLine {
            subject: format!("group {}", group.name),
            state: format!("lag {lag}"),
            healthy: true,
            detail: group.members.map(|members| format!("{members} members")),
            part: Some(Part::Group(GroupPart { name: group.name.clone(), lag, topics })),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::kafka::model::InternalTopic;

    #[test]
    fn a_missing_internal_topic_is_a_critical_finding_with_step_3b() {
        let state = KafkaState {
            internal_topics: vec![
                InternalTopic { name: "connect-offsets".into(), present: false, compacted: None },
                InternalTopic { name: "connect-status".into(), present: true, compacted: Some(false) },
                InternalTopic { name: "connect-configs".into(), present: true, compacted: Some(true) },
            ],
            ..KafkaState::default()
        };
        let findings = findings(&state, "k");
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert_eq!(findings[0].subject, "kafka k / internal topic connect-offsets");
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(findings[0].problem.contains("step 3b"));
        assert_eq!(findings[1].severity, Severity::Warning);
    }
}
