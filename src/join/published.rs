//! The newest record on each watched Kafka topic, handed from the Kafka source to the
//! PostgreSQL source while they poll, so that the latter can count the outbox rows written
//! after it: `outbox_unpublished_events`.
//!
//! The count needs a query, so it cannot wait for render time like the other joins; this is
//! the one place where one source's poll reads what another's saw. Entries of a Kafka cluster
//! whose poll failed are forgotten, and entries older than `max_age` are ignored, so an
//! unreachable broker makes the metric disappear rather than climb on stale data.
//!
//! An outbox table configured without `published_topics` gets its topics from the Connect
//! sources instead: the EventRouter routes of the Debezium connectors that capture it
//! ([`OutboxRoute`]). The Kafka sources then watch those topics too. A topic pattern that
//! another table's route shares (two connectors with the default
//! `outbox.event.${routedByValue}`) cannot tell whose events a record is, so it is not used:
//! the figure stays absent until `published_topics` says which topics are whose.
//!
//! Routes cost memory and CPU at size (docs/soak.md), so they are built only when an outbox
//! table derives its topics ([`PublishedTopics::wants_routes`]), and a connector's route is
//! kept across polls while its routing is unchanged.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use regex::Regex;

use crate::config::NamePattern;

/// What a connector config says about where its outbox events are published.
///
/// The topic of each event is `route.topic.replacement` with `${routedByValue}` replaced by
/// the event's `route.by.field` column (after `route.topic.regex`), so the config alone gives
/// a pattern, not the list of topics: the values live in the table's rows. `topic.prefix` plays
/// no part in these names.
///
/// Debezium's capture filters are regexes it matches against whole names, ignoring case; an
/// empty include list includes everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxRouting {
    /// `table.include.list` entries, matched against `schema.table`.
    pub tables: Vec<String>,
    /// `table.exclude.list` entries, matched against `schema.table`.
    pub excluded_tables: Vec<String>,
    /// `schema.include.list` entries, matched against the schema.
    pub schemas: Vec<String>,
    /// `schema.exclude.list` entries, matched against the schema.
    pub excluded_schemas: Vec<String>,
    /// A regex over topic names covering every topic the replacement can produce.
    pub topic_regex: String,
}

/// What the Kafka sources last saw, by (cluster, topic), and the Connect sources' outbox routes.
pub struct PublishedTopics {
    max_age: Duration,
    topics: RwLock<HashMap<(String, String), Seen>>,
    /// Connect cluster → the outbox routes of its connectors by connector name, as last polled.
    routes: RwLock<HashMap<String, BTreeMap<String, OutboxRoute>>>,
    /// (database, `schema.table`) of the outbox tables whose topics are derived from the routes.
    derived_for: Vec<(String, String)>,
    /// What was last logged about each derived table's topics.
    explained: Mutex<HashMap<(String, String), String>>,
}

/// Where one Debezium connector's EventRouter publishes the events of the tables it captures.
///
/// The filters are shared with every route that has the same entry (`Arc`): a `Regex` clone
/// would carry its own match cache, several KB once used, for each connector.
#[derive(Debug, Clone)]
pub struct OutboxRoute {
    pub connector: String,
    /// `database.dbname`.
    pub database: String,
    /// What the route was built from: an unchanged connector keeps its route.
    routing: OutboxRouting,
    /// Debezium's capture filters ([`OutboxRouting`]), anchored and ignoring case.
    pub tables: Vec<Arc<Regex>>,
    pub excluded_tables: Vec<Arc<Regex>>,
    pub schemas: Vec<Arc<Regex>>,
    pub excluded_schemas: Vec<Arc<Regex>>,
    pub topics: NamePattern,
}

impl OutboxRoute {
    pub fn new(connector: &str, database: &str, routing: &OutboxRouting) -> Result<Self, regex::Error> {
        let mut compiled = COMPILED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut filter = |entries: &[String]| -> Result<Vec<Arc<Regex>>, regex::Error> {
            entries.iter().map(|entry| compiled.get(format!("(?i)^(?:{entry})$"), Instant::now())).collect()
        };
        Ok(OutboxRoute {
            connector: connector.to_owned(),
            database: database.to_owned(),
            routing: routing.clone(),
            tables: filter(&routing.tables)?,
            excluded_tables: filter(&routing.excluded_tables)?,
            schemas: filter(&routing.schemas)?,
            excluded_schemas: filter(&routing.excluded_schemas)?,
            topics: NamePattern::Regex(Regex::clone(
                &*compiled.get(format!("^(?:{})$", routing.topic_regex), Instant::now())?,
            )),
        })
    }

    /// Whether the connector captures `table` (`schema.table`) of `database`: included by both
    /// include lists (an empty one includes everything), excluded by neither exclude list.
    pub fn captures(&self, database: &str, table: &str) -> bool {
        let schema = table.split_once('.').map_or("", |(schema, _)| schema);
        let any = |filter: &[Arc<Regex>], name: &str| filter.iter().any(|regex| regex.is_match(name));
        self.database == database
            && (self.tables.is_empty() || any(&self.tables, table))
            && !any(&self.excluded_tables, table)
            && (self.schemas.is_empty() || any(&self.schemas, schema))
            && !any(&self.excluded_schemas, schema)
    }
}

/// The routes' regexes, compiled once per text.
///
/// A compiled `Regex` costs 15–23 KB and 0.5–2 ms here: 2,000 outbox connectors, each
/// compiling its own, made 94 MB and seconds of CPU per poll (docs/soak.md). Connectors mostly
/// share their filters (`public.outbox`), so each text is compiled once and kept while routes
/// being built still ask for it.
static COMPILED: Mutex<RegexCache> = Mutex::new(RegexCache::new(Duration::from_secs(60)));

/// Two generations of compiled regexes: a text not asked for during a whole generation is
/// dropped at the next turn, so the cache holds only what recent polls used.
struct RegexCache {
    generation: Duration,
    started: Option<Instant>,
    current: Option<HashMap<String, Arc<Regex>>>,
    previous: Option<HashMap<String, Arc<Regex>>>,
}

impl RegexCache {
    const fn new(generation: Duration) -> Self {
        RegexCache { generation, started: None, current: None, previous: None }
    }

    fn get(&mut self, text: String, now: Instant) -> Result<Arc<Regex>, regex::Error> {
        let started = *self.started.get_or_insert(now);
        if now.saturating_duration_since(started) >= self.generation {
            self.previous = self.current.take();
            self.started = Some(now);
        }
        let current = self.current.get_or_insert_with(HashMap::new);
        if let Some(regex) = current.get(&text) {
            return Ok(regex.clone());
        }
        let regex = match self.previous.as_mut().and_then(|previous| previous.remove(&text)) {
            Some(regex) => regex,
            None => Arc::new(Regex::new(&text)?),
        };
        current.insert(text, regex.clone());
        Ok(regex)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.as_ref().map_or(0, HashMap::len) + self.previous.as_ref().map_or(0, HashMap::len)
    }
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
        PublishedTopics {
            max_age,
            topics: RwLock::new(HashMap::new()),
            routes: RwLock::default(),
            derived_for: Vec::new(),
            explained: Mutex::default(),
        }
    }

    /// Declares the outbox tables, as (database, `schema.table`), whose topics come from the routes.
    pub fn deriving_for(mut self, tables: impl IntoIterator<Item = (String, String)>) -> Self {
        self.derived_for = tables.into_iter().collect();
        self
    }

    /// Whether any outbox table derives its topics from the routes: without one, nobody reads
    /// them and the Connect sources need not build them.
    pub fn wants_routes(&self) -> bool {
        !self.derived_for.is_empty()
    }

    /// Replaces the outbox routes of Connect `cluster` with this poll's, given as (connector,
    /// `database.dbname`, routing). A connector whose database and routing are those of the
    /// last poll keeps its route; the others' are built. A capture filter the `regex` crate
    /// cannot compile (an invalid one, or Java's lookarounds and backreferences) leaves its
    /// connector out.
    pub fn record_routes<'a>(
        &self,
        cluster: &str,
        routings: impl IntoIterator<Item = (&'a str, &'a str, &'a OutboxRouting)>,
    ) {
        let mut routes = self.routes.write().expect("outbox routes lock poisoned");
        let mut last = routes.remove(cluster).unwrap_or_default();
        let mut current = BTreeMap::new();
        for (connector, database, routing) in routings {
            let kept = last.remove(connector).filter(|route| route.database == database && route.routing == *routing);
            let route = match kept {
                Some(route) => route,
                None => match OutboxRoute::new(connector, database, routing) {
                    Ok(route) => route,
                    Err(error) => {
                        tracing::debug!(connector, "no outbox route: {error}");
                        continue;
                    }
                },
            };
            current.insert(connector.to_owned(), route);
        }
        routes.insert(cluster.to_owned(), current);
    }

    /// Forgets `cluster`'s routes: its poll failed.
    pub fn forget_routes(&self, cluster: &str) {
        self.routes.write().expect("outbox routes lock poisoned").remove(cluster);
    }

    /// The topics `table` of `database` is published to, as the Connect sources' routes say.
    /// Empty when no route captures it, or when a pattern is also another table's (another
    /// connector's route, or another derived table of the same route): a record on it could
    /// be either's, so it proves nothing about this one.
    pub fn routed_topics(&self, database: &str, table: &str) -> Vec<NamePattern> {
        let routes = self.routes.read().expect("outbox routes lock poisoned");
        let own = patterns_capturing(&routes, database, table);
        let foreign_route = routes
            .values()
            .flat_map(BTreeMap::values)
            .find(|route| !route.captures(database, table) && own.contains_key(&route.topics.to_string()));
        let other_derived_table = self
            .derived_for
            .iter()
            .filter(|(other_db, other)| (other_db.as_str(), other.as_str()) != (database, table))
            .find(|(other_db, other)| {
                patterns_capturing(&routes, other_db, other).keys().any(|pattern| own.contains_key(pattern))
            });
        let (topics, explanation) = match (foreign_route, other_derived_table) {
            _ if own.is_empty() => (
                Vec::new(),
                "no connector of the polled Connect clusters routes it (EventRouter as last transform, \
                 capture filters taking it in)"
                    .to_owned(),
            ),
            (Some(route), _) => (
                Vec::new(),
                format!("not derived: connector {} routes other tables to the same topics", route.connector),
            ),
            (None, Some((other_db, other))) => {
                (Vec::new(), format!("not derived: outbox table {other} of {other_db} is routed to the same topics"))
            }
            (None, None) => {
                let text: Vec<String> = own.keys().cloned().collect();
                (own.into_values().collect(), format!("topics {} from the connectors' EventRouter", text.join(", ")))
            }
        };
        self.explain(database, table, explanation);
        topics
    }

    /// Logs why a derived table has the topics it has, once per change: an absent
    /// `outbox_unpublished_events` must be explainable.
    fn explain(&self, database: &str, table: &str, explanation: String) {
        let mut explained = self.explained.lock().expect("explanations lock poisoned");
        let key = (database.to_owned(), table.to_owned());
        if explained.get(&key) != Some(&explanation) {
            tracing::info!(database, table, "outbox_unpublished_events: {explanation}");
            explained.insert(key, explanation);
        }
    }

    /// The routed topics of every derived table: the Kafka sources watch them besides their own.
    pub fn wanted_topics(&self) -> Vec<NamePattern> {
        let mut wanted = BTreeMap::new();
        for (database, table) in &self.derived_for {
            wanted
                .extend(self.routed_topics(database, table).into_iter().map(|pattern| (pattern.to_string(), pattern)));
        }
        wanted.into_values().collect()
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

/// The topic patterns of the routes that capture `table` of `database`, keyed by their text.
fn patterns_capturing(
    routes: &HashMap<String, BTreeMap<String, OutboxRoute>>,
    database: &str,
    table: &str,
) -> BTreeMap<String, NamePattern> {
    routes
        .values()
        .flat_map(BTreeMap::values)
        .filter(|route| route.captures(database, table))
        .map(|route| (route.topics.to_string(), route.topics.clone()))
        .collect()
}

#[cfg(test)]
#[path = "published_tests.rs"]
mod tests;
