//! Tests of `published.rs`, beside it so that file stays short.

use super::*;

fn pattern(text: &str) -> NamePattern {
    NamePattern::try_from(text.to_owned()).unwrap()
}

#[test]
fn newest_over_matching_topics_and_forgotten_when_the_cluster_fails() {
    let published = PublishedTopics::new(Duration::from_secs(60));
    let t = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    assert_eq!(published.newest(&[pattern("outbox\\..*")]), None, "nothing known yet");
    published.record("k", [("outbox.a".into(), Some(t(10))), ("outbox.b".into(), None), ("other".into(), Some(t(99)))]);
    assert_eq!(published.newest(&[pattern("outbox\\..*")]), Some(Newest::At(t(10))));
    assert_eq!(published.newest(&[pattern("outbox.b")]), Some(Newest::Nothing));
    published.record("k", [("outbox.a".into(), Some(t(20)))]);
    assert_eq!(published.newest(&[pattern("outbox.b")]), None, "a topic gone upstream is gone here");
    published.forget("k");
    assert_eq!(published.newest(&[pattern("outbox\\..*")]), None);
}

fn route<'a>(connector: &'a str, database: &'a str, tables: &[&str], topic_regex: &str) -> Routed<'a> {
    let routing = OutboxRouting {
        tables: tables.iter().map(|table| (*table).to_owned()).collect(),
        topic_regex: topic_regex.to_owned(),
        ..OutboxRouting::default()
    };
    (connector, database, routing)
}

type Routed<'a> = (&'a str, &'a str, OutboxRouting);

fn record(published: &PublishedTopics, cluster: &str, routes: &[Routed<'_>]) {
    published
        .record_routes(cluster, routes.iter().map(|(connector, database, routing)| (*connector, *database, routing)));
}

fn texts(patterns: &[NamePattern]) -> Vec<String> {
    patterns.iter().map(ToString::to_string).collect()
}

#[test]
fn derived_tables_get_the_topics_of_the_connectors_capturing_them() {
    let published = PublishedTopics::new(Duration::from_secs(60)).deriving_for([
        ("shop".to_owned(), "public.orders_outbox".to_owned()),
        ("shop".to_owned(), "public.billing_outbox".to_owned()),
    ]);
    assert!(published.routed_topics("shop", "public.orders_outbox").is_empty(), "no Connect poll yet");
    record(
        &published,
        "c",
        &[
            route("orders", "shop", &["public.orders_outbox"], r"orders\..*"),
            route("billing", "shop", &["public\\.billing_.*"], r"billing\..*"),
            route("elsewhere", "other", &[], r"other\..*"),
        ],
    );
    assert_eq!(texts(&published.routed_topics("shop", "public.orders_outbox")), [r"^(?:orders\..*)$"]);
    assert_eq!(texts(&published.routed_topics("shop", "public.billing_outbox")), [r"^(?:billing\..*)$"]);
    assert_eq!(texts(&published.wanted_topics()), [r"^(?:billing\..*)$", r"^(?:orders\..*)$"]);
    assert!(texts(&published.wanted_topics()).iter().all(|text| !text.contains("other")), "not derived for");

    // Another connector, of a table not configured here, publishing on the same pattern.
    record(
        &published,
        "c",
        &[
            route("orders", "shop", &["public.orders_outbox"], r"orders\..*"),
            route("legacy", "shop", &["public.legacy_outbox"], r"orders\..*"),
        ],
    );
    assert!(published.routed_topics("shop", "public.orders_outbox").is_empty());

    // Both connectors left at the default replacement: nobody can tell whose a record is.
    record(
        &published,
        "c",
        &[
            route("orders", "shop", &["public.orders_outbox"], r"outbox\.event\..*"),
            route("billing", "shop", &["public.billing_outbox"], r"outbox\.event\..*"),
        ],
    );
    assert!(published.routed_topics("shop", "public.orders_outbox").is_empty());
    assert!(published.wanted_topics().is_empty());

    published.forget_routes("c");
    assert!(published.routed_topics("shop", "public.orders_outbox").is_empty());
}

#[test]
fn a_route_captures_what_every_capture_filter_lets_through() {
    let routing = OutboxRouting {
        excluded_tables: vec![r"shop\.audit_.*".to_owned()],
        schemas: vec!["shop".to_owned()],
        topic_regex: "events".to_owned(),
        ..OutboxRouting::default()
    };
    let route = OutboxRoute::new("c", "db", &routing).unwrap();
    assert!(route.captures("db", "shop.orders_outbox"));
    assert!(route.captures("db", "SHOP.orders_outbox"), "ignoring case");
    assert!(!route.captures("db", "public.outbox"), "a schema not included");
    assert!(!route.captures("db", "shop.audit_outbox"), "an excluded table");

    let routing = OutboxRouting {
        excluded_schemas: vec!["archive".to_owned()],
        topic_regex: "events".to_owned(),
        ..OutboxRouting::default()
    };
    let route = OutboxRoute::new("c", "db", &routing).unwrap();
    assert!(route.captures("db", "public.outbox"));
    assert!(!route.captures("db", "archive.outbox"), "an excluded schema");
}

#[test]
fn a_regex_is_compiled_once_and_dropped_when_no_longer_asked_for() {
    let start = Instant::now();
    let minute = Duration::from_secs(60);
    let mut cache = RegexCache::new(minute);
    let first = cache.get("^(?:a.*)$".to_owned(), start).unwrap();
    let again = cache.get("^(?:a.*)$".to_owned(), start + minute / 2).unwrap();
    assert_eq!((first.as_str(), again.as_str(), cache.len()), ("^(?:a.*)$", "^(?:a.*)$", 1));
    assert!(cache.get("(".to_owned(), start).is_err(), "an invalid regex is an error, not cached");
    cache.get("^(?:b)$".to_owned(), start + minute).unwrap();
    assert_eq!(cache.len(), 2, "a is kept one more generation");
    cache.get("^(?:b)$".to_owned(), start + minute * 2).unwrap();
    assert_eq!(cache.len(), 1, "a, unused for a whole generation, is gone");
    assert!(cache.get("^(?:b)$".to_owned(), start + minute * 2).unwrap().is_match("b"));
}

#[test]
fn stale_entries_are_ignored() {
    let published = PublishedTopics::new(Duration::ZERO);
    published.record("k", [("t".into(), Some(SystemTime::now()))]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(published.newest(&[pattern("t")]), None);
}
