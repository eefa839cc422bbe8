//! The newest record on each watched Kafka topic, handed from the Kafka source to the
//! PostgreSQL source while they poll, so that the latter can count the outbox rows written
//! after it: `outbox_unpublished_events`.
//!
//! The count needs a query, so it cannot wait for render time like the other joins; this is
//! the one place where one source's poll reads what another's saw. Entries of a Kafka cluster
//! whose poll failed are forgotten, and entries older than `max_age` are ignored, so an
//! unreachable broker makes the metric disappear rather than climb on stale data.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use crate::config::NamePattern;

/// What the Kafka sources last saw, by (cluster, topic).
pub struct PublishedTopics {
    max_age: Duration,
    topics: RwLock<HashMap<(String, String), Seen>>,
}

#[derive(Clone, Copy)]
struct Seen {
    newest: Option<SystemTime>,
    at: Instant,
}

/// The newest event published on a set of topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newest {
    /// The topics exist but hold no record: nothing was published yet.
    Nothing,
    At(SystemTime),
}

impl PublishedTopics {
    pub fn new(max_age: Duration) -> Self {
        PublishedTopics { max_age, topics: RwLock::new(HashMap::new()) }
    }

    /// Replaces what `cluster` saw with this poll's topics.
    pub fn record(&self, cluster: &str, seen: impl IntoIterator<Item = (String, Option<SystemTime>)>) {
        let mut topics = self.topics.write().expect("published topics lock poisoned");
        topics.retain(|(own, _), _| own != cluster);
        let at = Instant::now();
        for (topic, newest) in seen {
            topics.insert((cluster.to_owned(), topic), Seen { newest, at });
        }
    }

    /// Forgets `cluster`: its poll failed, so what it saw before is no longer known.
    pub fn forget(&self, cluster: &str) {
        self.topics.write().expect("published topics lock poisoned").retain(|(own, _), _| own != cluster);
    }

    /// The newest record over every fresh topic matching `patterns`; `None` when none is known.
    pub fn newest(&self, patterns: &[NamePattern]) -> Option<Newest> {
        let topics = self.topics.read().expect("published topics lock poisoned");
        let matching = topics
            .iter()
            .filter(|((_, topic), seen)| seen.at.elapsed() <= self.max_age && patterns.iter().any(|p| p.matches(topic)))
            .map(|(_, seen)| seen.newest);
        let mut newest = None;
        for seen in matching {
            newest = Some(match (newest, seen) {
                (None | Some(Newest::Nothing), None) => Newest::Nothing,
                (Some(Newest::At(at)), None) => Newest::At(at),
                (None | Some(Newest::Nothing), Some(at)) => Newest::At(at),
                (Some(Newest::At(old)), Some(at)) => Newest::At(old.max(at)),
            });
        }
        newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> NamePattern {
        NamePattern::try_from(text.to_owned()).unwrap()
    }

    #[test]
    fn newest_over_matching_topics_and_forgotten_when_the_cluster_fails() {
        let published = PublishedTopics::new(Duration::from_secs(60));
        let t = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(published.newest(&[pattern("outbox\\..*")]), None, "nothing known yet");
        published
            .record("k", [("outbox.a".into(), Some(t(10))), ("outbox.b".into(), None), ("other".into(), Some(t(99)))]);
        assert_eq!(published.newest(&[pattern("outbox\\..*")]), Some(Newest::At(t(10))));
        assert_eq!(published.newest(&[pattern("outbox.b")]), Some(Newest::Nothing));
        published.record("k", [("outbox.a".into(), Some(t(20)))]);
        assert_eq!(published.newest(&[pattern("outbox.b")]), None, "a topic gone upstream is gone here");
        published.forget("k");
        assert_eq!(published.newest(&[pattern("outbox\\..*")]), None);
    }

    #[test]
    fn stale_entries_are_ignored() {
        let published = PublishedTopics::new(Duration::ZERO);
        published.record("k", [("t".into(), Some(SystemTime::now()))]);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(published.newest(&[pattern("t")]), None);
    }
}
