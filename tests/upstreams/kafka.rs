//! The Kafka source against the real broker of the test stack (Tansu): topics, records and a
//! consumer group of our own, created and removed by each test.
//!
//! Records are produced one per batch (`batch.num.messages=1`): Tansu reports a partition's
//! high watermark as its last batch's base offset + 1, so only then are offsets exact.

use crate::common;
use std::time::{Duration, Instant, SystemTime};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use common::kafka::bootstrap;
use common::{Connect, Exporter, Exposition, env_or, free_port, outbox_connector, psql_admin};

const PATIENCE: Duration = Duration::from_secs(60);

/// A name no other test run uses: `kafka-it-<what>-<pid>-<millis>`.
fn unique(what: &str) -> String {
    let millis = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis();
    format!("kafka-it-{what}-{}-{millis}", std::process::id())
}

fn admin() -> AdminClient<DefaultClientContext> {
    ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap()
}

async fn create_topic(name: &str, partitions: i32, config: &[(&str, &str)]) {
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    for (key, value) in config {
        topic = topic.set(key, value);
    }
    let results = admin().create_topics(&[topic], &AdminOptions::new()).await.unwrap();
    results.into_iter().for_each(|result| {
        result.unwrap();
    });
}

async fn delete_topics(names: &[&str]) {
    let results = admin().delete_topics(names, &AdminOptions::new()).await.unwrap();
    for result in results {
        if let Err((topic, error)) = result {
            eprintln!("cleanup: deleting {topic}: {error}");
        }
    }
}

/// Deletes the consumer group the test created (DeleteGroups), so none is left on the broker.
async fn delete_group(group: &str) {
    let results = admin().delete_groups(&[group], &AdminOptions::new()).await.unwrap();
    for result in results {
        if let Err((group, error)) = result {
            panic!("deleting group {group}: {error}");
        }
    }
}

/// Sends every record in its own batch, with the given timestamp, and waits for the acks.
fn produce(topic: &str, partition: i32, timestamps: &[i64]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .create()
        .unwrap();
    for (index, timestamp) in timestamps.iter().enumerate() {
        let payload = format!("record {index}");
        producer
            .send(BaseRecord::to(topic).partition(partition).key("k").payload(&payload).timestamp(*timestamp))
            .unwrap();
        producer.flush(Duration::from_secs(30)).unwrap();
    }
}

/// A real group member: subscribes, reads `count` records, commits synchronously.
fn consume_and_commit(consumer: &BaseConsumer, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    let mut read = 0;
    while read < count {
        assert!(Instant::now() < deadline, "read {read} of {count} records within {PATIENCE:?}");
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            message.unwrap();
            read += 1;
        }
    }
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();
}

fn write_config(dir: &tempfile::TempDir, body: &str) -> String {
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, format!("poll: {{interval: 1s, timeout: 10s}}\nsources:\n  kafka:\n{body}")).unwrap();
    path.to_string_lossy().into_owned()
}

fn kafka_up(exposition: &Exposition, target: &str) -> Option<f64> {
    exposition.value("debezium_exporter_source_up", &[("source", "kafka"), ("target", target)])
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn watermarks_lag_and_last_published_follow_real_traffic() {
    let _room = common::room::enter(module_path!());
    let (topic, group) = (unique("events"), unique("group"));
    create_topic(&topic, 2, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &format!(
            "    - name: it\n      bootstrap: {}\n      internal_topics: []\n      topics: ['{topic}']\n      consumer_groups: ['{group}']\n",
            bootstrap()
        ),
    );
    let exporter = Exporter::start(&["--config.file", &config]);
    let watermark = |e: &Exposition, partition: &str| {
        e.value("kafka_topic_partition_high_watermark", &[("topic", &topic), ("partition", partition)])
    };
    let last_published = |e: &Exposition| e.value("outbox_last_published_timestamp_seconds", &[("topic", &topic)]);
    let lag_sum = |e: &Exposition| e.value("kafka_consumergroup_lag_sum", &[("group", &group), ("topic", &topic)]);

    let seen = exporter.wait_for("the empty topic", PATIENCE, |e| watermark(e, "1") == Some(0.0)).await;
    assert_eq!(kafka_up(&seen, "it"), Some(1.0));
    assert_eq!(last_published(&seen), None, "an empty topic has published nothing");

    // Timestamps in the past and out of order across partitions: the newest one wins.
    produce(&topic, 0, &[1_700_000_000_000, 1_700_000_001_000, 1_700_000_003_250]);
    produce(&topic, 1, &[1_700_000_002_000, 1_700_000_002_500]);
    let seen = exporter
        .wait_for("3 + 2 records", PATIENCE, |e| watermark(e, "0") == Some(3.0) && watermark(e, "1") == Some(2.0))
        .await;
    assert_eq!(seen.value("kafka_topic_partition_low_watermark", &[("topic", &topic), ("partition", "0")]), Some(0.0));
    let seen = exporter.wait_for("last published", PATIENCE, |e| last_published(e).is_some()).await;
    assert_eq!(last_published(&seen), Some(1_700_000_003.25));

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    consume_and_commit(&consumer, 5);
    let seen = exporter.wait_for("the group caught up", PATIENCE, |e| lag_sum(e) == Some(0.0)).await;
    let lags = seen.series("kafka_consumergroup_lag", &[("group", &group), ("topic", &topic)]);
    assert_eq!(lags.len(), 2, "{lags:?}");
    assert!(lags.iter().all(|(_, lag)| *lag == 0.0), "{lags:?}");

    // Publishing runs ahead of the group...
    produce(&topic, 0, &[1_700_000_010_000, 1_700_000_011_000]);
    produce(&topic, 1, &[1_700_000_012_000, 1_700_000_013_500]);
    let seen = exporter.wait_for("lag 4", PATIENCE, |e| lag_sum(e) == Some(4.0)).await;
    assert_eq!(seen.value("kafka_consumergroup_lag", &[("group", &group), ("partition", "0")]), Some(2.0));
    let seen = exporter.wait_for("the newest record", PATIENCE, |e| last_published(e) == Some(1_700_000_013.5)).await;
    eprintln!(
        "members of {group} as the broker describes them: {:?}",
        seen.series("kafka_consumergroup_members", &[("group", &group)])
    );

    // ...and the group catches up again.
    consume_and_commit(&consumer, 4);
    exporter.wait_for("lag back to 0", PATIENCE, |e| lag_sum(e) == Some(0.0)).await;

    drop(consumer);
    delete_group(&group).await;
    delete_topics(&[&topic]).await;
    exporter
        .wait_for("the deleted topic vanishes", PATIENCE, |e| {
            watermark(e, "0").is_none() && last_published(e).is_none()
        })
        .await;
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn internal_topics_appear_and_disappear_for_real() {
    let _room = common::room::enter(module_path!());
    // Our own names: the shared Connect worker's connect-* topics must never be touched.
    let (configs, offsets, status) = (unique("configs"), unique("offsets"), unique("status"));
    create_topic(&configs, 1, &[("cleanup.policy", "compact")]).await;
    // Created without settings: Tansu then describes it as `{}`, a real Kafka as `delete`.
    create_topic(&offsets, 1, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &format!(
            "    - name: it\n      bootstrap: {}\n      internal_topics: [{configs}, {offsets}, {status}]\n",
            bootstrap()
        ),
    );
    let exporter = Exporter::start(&["--config.file", &config]);
    let present = |e: &Exposition, topic: &str| e.value("kafka_connect_internal_topic_present", &[("topic", topic)]);
    let compacted =
        |e: &Exposition, topic: &str| e.value("kafka_connect_internal_topic_compacted", &[("topic", topic)]);

    let seen = exporter.wait_for("a first poll", PATIENCE, |e| present(e, &configs).is_some()).await;
    assert_eq!(present(&seen, &configs), Some(1.0));
    assert_eq!(compacted(&seen, &configs), Some(1.0));
    assert_eq!(present(&seen, &offsets), Some(1.0));
    assert_eq!(compacted(&seen, &offsets), Some(0.0), "no cleanup.policy reported is not compacted");
    assert_eq!(present(&seen, &status), Some(0.0));
    assert_eq!(compacted(&seen, &status), None, "a missing topic has no compaction to report");

    create_topic(&status, 1, &[("cleanup.policy", "compact")]).await;
    delete_topics(&[&configs]).await;
    let seen = exporter
        .wait_for("status created, configs deleted", PATIENCE, |e| {
            present(e, &status) == Some(1.0) && present(e, &configs) == Some(0.0)
        })
        .await;
    assert_eq!(compacted(&seen, &status), Some(1.0));
    assert_eq!(compacted(&seen, &configs), None);

    delete_topics(&[&offsets, &status]).await;
}

#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn a_broker_nobody_listens_on_is_down_and_metrics_still_answer() {
    let _room = common::room::enter(module_path!());
    let port = free_port();
    let exporter = Exporter::start(&[
        "--kafka.brokers",
        &format!("nowhere=127.0.0.1:{port}"),
        "--poll.interval",
        "1s",
        "--poll.timeout",
        "2s",
    ]);
    let errors = |e: &Exposition| -> f64 {
        let series = e.series("debezium_exporter_poll_errors_total", &[("source", "kafka"), ("target", "nowhere")]);
        series.iter().map(|(_, value)| value).sum()
    };
    // Before its first poll a target shows up 0 as well; a counted error is the real answer.
    let seen = exporter.wait_for("a failed poll", PATIENCE, |e| errors(e) >= 1.0).await;
    assert_eq!(kafka_up(&seen, "nowhere"), Some(0.0));
    assert!(seen.series("kafka_connect_internal_topic_present", &[("cluster", "nowhere")]).is_empty());
    let (status, page) = exporter.get("/").await;
    assert_eq!(status, 200);
    assert!(page.contains("nowhere"), "{page}");
    assert!(exporter.log().contains("Connection refused"), "the log should say why: {}", exporter.log());
}

/// Outbox rows → Debezium's EventRouter → `outbox.event.<aggregatetype>`: the newest published
/// record's timestamp follows what the real connector publishes.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn outbox_last_published_advances_with_the_real_connector() {
    let _room = common::room::enter(module_path!());
    let id = format!(
        "{}{}",
        std::process::id(),
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() % 100_000
    );
    let (name, slot, publication) =
        (format!("kafka-it-outbox-{id}"), format!("kafka_it_{id}"), format!("kafka_it_{id}_pub"));
    let aggregate = format!("kafkait{id}");
    let topic = format!("outbox.event.{aggregate}");
    let connect = Connect::new();
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {publication}; CREATE PUBLICATION {publication} FOR TABLE public.outbox"
    ));
    connect.create(&outbox_connector(&name, &slot, &publication)).await;

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &format!(
            "    - name: it\n      bootstrap: {}\n      internal_topics: []\n      topics: [{topic}]\n",
            bootstrap()
        ),
    );
    let exporter = Exporter::start(&["--config.file", &config, "--connect.url", &format!("stack={}", connect.url)]);
    // A new connector runs ≈ 11 s after its POST on the test broker (two group rebalances).
    exporter
        .wait_for("the connector's task RUNNING", Duration::from_secs(90), |e| {
            e.value("kafka_connect_connector_task_state", &[("connector", &name), ("task", "0"), ("state", "running")])
                == Some(1.0)
        })
        .await;
    let last_published = |e: &Exposition| e.value("outbox_last_published_timestamp_seconds", &[("topic", &topic)]);
    let insert = || {
        psql_admin(&format!(
            "INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload) \
             VALUES (gen_random_uuid(), '{aggregate}', 'order-1', 'OrderCreated', '{{\"total\": 42}}')"
        ))
    };
    let now = || SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs_f64();

    let before_first = now();
    insert();
    let seen = exporter.wait_for("the first event published", PATIENCE, |e| last_published(e).is_some()).await;
    let first = last_published(&seen).unwrap();
    // Connect stamps the record when it produces it, after the INSERT (same machine clock).
    assert!(first >= before_first.floor() - 1.0, "published at {first}, inserted at {before_first}");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    insert();
    let seen = exporter
        .wait_for("the second event published", PATIENCE, |e| last_published(e).is_some_and(|at| at > first))
        .await;
    assert!(last_published(&seen).unwrap() <= now() + 1.0);

    connect.remove(&name, &slot).await;
    psql_admin(&format!(
        "DROP PUBLICATION IF EXISTS {publication}; DELETE FROM public.outbox WHERE aggregatetype = '{aggregate}'"
    ));
    delete_topics(&[&topic]).await;
}

/// `outbox_unpublished_events` end to end: an outbox table of our own, a real Debezium
/// connector whose EventRouter publishes it, and two exporters reading PostgreSQL, Kafka and
/// Connect: one told the topic (`published_topics`), one deriving it from the connector's
/// EventRouter settings. Rows published → 0; connector stopped (`PUT /stop`) → the rows
/// inserted meanwhile; resumed → 0 again.
///
/// The table is our own because the stack's `public.outbox` is shared: rows other tests insert
/// there would count as unpublished on our topic. The route's replacement is our own too: with
/// the default one, other tests' connectors would publish on the same derived pattern, which
/// the exporter then rightly refuses to use.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn outbox_unpublished_events_follow_a_stopped_and_resumed_connector() {
    let _room = common::room::enter(module_path!());
    let id = format!(
        "{}{}",
        std::process::id(),
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() % 100_000
    );
    let (name, slot, publication) =
        (format!("kafka-e2e-outbox-{id}"), format!("kafka_e2e_{id}"), format!("kafka_e2e_{id}_pub"));
    let table = format!("public.kafka_e2e_outbox_{id}");
    let aggregate = format!("order{id}");
    let topic = format!("kafka-e2e-{id}.{aggregate}");
    psql_admin(&format!(
        "CREATE TABLE {table} (LIKE public.outbox INCLUDING ALL); GRANT SELECT ON {table} TO {user}; \
         CREATE PUBLICATION {publication} FOR TABLE {table}",
        user = env_or("PG_USER", "debezium")
    ));
    let mut connector = outbox_connector(&name, &slot, &publication);
    connector["config"]["table.include.list"] = table.clone().into();
    connector["config"]["transforms.outbox.route.topic.replacement"] =
        format!("kafka-e2e-{id}.${{routedByValue}}").into();
    let connect = Connect::new();
    connect.create(&connector).await;

    let dir = tempfile::tempdir().unwrap();
    let start = |file: &str, kafka_topics: &str, published_topics: &str| {
        let config = dir.path().join(file);
        std::fs::write(
            &config,
            format!(
                "poll: {{interval: 1s, timeout: 10s}}\n\
                 sources:\n  \
                   connect:\n    - name: stack\n      url: {url}\n  \
                   kafka:\n    - name: e2e\n      bootstrap: {bootstrap}\n      internal_topics: []\n      topics: {kafka_topics}\n  \
                   postgres:\n    - name: inventory\n      dsn: \"{dsn}\"\n      outbox:\n        - table: {table}\n          published_topics: {published_topics}\n",
                url = connect.url,
                bootstrap = bootstrap(),
                dsn = common::exporter_dsn(),
            ),
        )
        .unwrap();
        Exporter::start(&["--config.file", &config.to_string_lossy()])
    };
    let told = start("told.yaml", &format!("['{topic}']"), &format!("['{topic}']"));
    let derived = start("derived.yaml", "[]", "[]");
    let exporters = [("told", &told), ("derived", &derived)];

    let table_label = table.as_str();
    let unpublished =
        |e: &Exposition| e.value("outbox_unpublished_events", &[("db", "inventory"), ("table", table_label)]);
    let rows = |e: &Exposition| e.value("outbox_table_rows", &[("db", "inventory"), ("table", table_label)]);
    let last_published = |e: &Exposition| e.value("outbox_last_published_timestamp_seconds", &[("topic", &topic)]);
    let state = |e: &Exposition, state: &str| {
        e.value("kafka_connect_connector_state", &[("connector", &name), ("state", state)]) == Some(1.0)
    };
    let task_running = |e: &Exposition| {
        e.value("kafka_connect_connector_task_state", &[("connector", &name), ("task", "0"), ("state", "running")])
            == Some(1.0)
    };
    let insert = |count: usize| {
        let rows: Vec<String> = (0..count)
            .map(|n| format!("(gen_random_uuid(), '{aggregate}', 'order-{n}', 'OrderCreated', '{{\"n\": {n}}}')"))
            .collect();
        psql_admin(&format!(
            "INSERT INTO {table} (id, aggregatetype, aggregateid, type, payload) VALUES {}",
            rows.join(", ")
        ));
    };
    // A new connector runs ≈ 11 s after its POST on the test broker (two group rebalances).
    for (which, exporter) in exporters {
        let seen =
            exporter.wait_for(&format!("{which}: the task RUNNING"), Duration::from_secs(90), task_running).await;
        assert_eq!(unpublished(&seen), None, "{which}: nothing published yet, the topic does not exist: no figure");
        assert_eq!(rows(&seen), Some(0.0), "{which}");
    }

    insert(3);
    let mut published_before_stop = 0.0;
    for (which, exporter) in exporters {
        let seen = exporter
            .wait_for(&format!("{which}: 3 rows published"), PATIENCE, |e| {
                last_published(e).is_some() && unpublished(e) == Some(0.0)
            })
            .await;
        published_before_stop = last_published(&seen).unwrap();
        assert_eq!(rows(&seen), Some(3.0), "{which}");
    }
    let log = derived.log();
    assert!(log.contains("outbox_unpublished_events: topics ^(?:kafka\\-e2e\\-"), "the derivation is logged: {log}");

    let status = connect.call(reqwest::Method::PUT, &format!("{name}/stop")).await;
    assert_eq!(status, 204, "PUT /connectors/{name}/stop");
    told.wait_for("the connector STOPPED", PATIENCE, |e| state(e, "stopped")).await;
    insert(4);
    for (which, exporter) in exporters {
        let seen =
            exporter.wait_for(&format!("{which}: 4 rows unpublished"), PATIENCE, |e| unpublished(e) == Some(4.0)).await;
        assert_eq!(
            last_published(&seen),
            Some(published_before_stop),
            "{which}: a stopped connector publishes nothing"
        );
        assert_eq!(rows(&seen), Some(7.0), "{which}");
    }

    let status = connect.call(reqwest::Method::PUT, &format!("{name}/resume")).await;
    assert_eq!(status, 202, "PUT /connectors/{name}/resume");
    for (which, exporter) in exporters {
        let seen = exporter
            .wait_for(&format!("{which}: the backlog published after the resume"), Duration::from_secs(90), |e| {
                unpublished(e) == Some(0.0) && last_published(e).is_some_and(|at| at > published_before_stop)
            })
            .await;
        assert!(state(&seen, "running"), "{which}: resumed");
    }

    drop((told, derived));
    connect.remove(&name, &slot).await;
    psql_admin(&format!("DROP PUBLICATION IF EXISTS {publication}; DROP TABLE IF EXISTS {table}"));
    delete_topics(&[&topic]).await;
}

/// The topics the broker lists now, asked as a monitor must ask: a full listing from a consumer
/// handle with auto-creation off, which names no topic and so can create none.
fn listed_topics() -> std::collections::BTreeSet<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap();
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(10)).unwrap();
    metadata.topics().iter().filter(|topic| topic.error().is_none()).map(|topic| topic.name().to_owned()).collect()
}

/// Runbook step 3b deletes Connect's internal topics; a monitor that makes the broker create
/// them again (with the broker's defaults, not compacted) breaks Connect. Tansu, like Apache
/// Kafka by default, creates a topic for any metadata request that names it and allows it.
#[tokio::test]
#[ignore = "needs the real stack (scripts/test)"]
async fn deleted_topics_stay_deleted_while_watched() {
    let _room = common::room::enter(module_path!());
    let (topic, internal, group) = (unique("gone"), unique("offsets"), unique("gone-group"));
    create_topic(&topic, 2, &[]).await;
    create_topic(&internal, 1, &[("cleanup.policy", "compact")]).await;
    produce(&topic, 0, &[1_700_000_000_000, 1_700_000_001_000]);
    produce(&topic, 1, &[1_700_000_002_000]);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    consume_and_commit(&consumer, 3);
    drop(consumer);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &format!(
            "    - name: it\n      bootstrap: {}\n      internal_topics: ['{internal}']\n      topics: ['{topic}']\n      consumer_groups: ['{group}']\n",
            bootstrap()
        ),
    );
    let exporter = Exporter::start(&["--config.file", &config]);
    let watermark =
        |e: &Exposition| e.value("kafka_topic_partition_high_watermark", &[("topic", &topic), ("partition", "0")]);
    let present = |e: &Exposition| e.value("kafka_connect_internal_topic_present", &[("topic", &internal)]);
    let last_published = |e: &Exposition| e.value("outbox_last_published_timestamp_seconds", &[("topic", &topic)]);
    // Every read the exporter makes has happened at least once: watermarks, the newest record
    // (an assigned consumer), the group's offsets and the internal topic's configs.
    exporter
        .wait_for("the topics watched, their newest record read", PATIENCE, |e| {
            watermark(e) == Some(2.0) && present(e) == Some(1.0) && last_published(e).is_some()
        })
        .await;

    delete_topics(&[&topic, &internal]).await;
    let seen = exporter
        .wait_for("the deleted topics' series gone", PATIENCE, |e| {
            watermark(e).is_none() && present(e) == Some(0.0) && last_published(e).is_none()
        })
        .await;
    assert_eq!(kafka_up(&seen, "it"), Some(1.0), "a deleted topic is not a broken cluster");
    let lags = seen.series("kafka_consumergroup_lag", &[("group", &group), ("topic", &topic)]);
    assert!(lags.is_empty(), "no lag against a topic that is gone: {lags:?}");

    // Polled once a second: ten successful polls and more, each of which could have re-created them.
    let since = last_success(&seen);
    exporter.wait_for("ten more polls", PATIENCE, |e| last_success(e) >= since + 10.0).await;
    let listed = listed_topics();
    assert!(!listed.contains(&topic), "the watched topic {topic} came back after deletion");
    assert!(!listed.contains(&internal), "the internal topic {internal} came back after deletion");

    // The control: on this broker a metadata request that names a deleted topic re-creates it
    // when it allows auto-creation, as librdkafka's producer-type handles (the admin client)
    // do by default, and does not when it forbids it, as every handle of the exporter does.
    let asks = |allow: &str| {
        let client: rdkafka::producer::BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("allow.auto.create.topics", allow)
            .create()
            .unwrap();
        let _ = client.client().fetch_metadata(Some(&internal), Duration::from_secs(10));
    };
    asks("false");
    assert!(!listed_topics().contains(&internal), "a request that forbids auto-creation created {internal}");
    asks("true");
    let deadline = Instant::now() + PATIENCE;
    while !listed_topics().contains(&internal) {
        assert!(Instant::now() < deadline, "the broker did not auto-create {internal}: this test proves nothing");
        std::thread::sleep(Duration::from_millis(250));
    }
    delete_topics(&[&internal]).await;
    delete_group(&group).await;
}

/// When the Kafka source last polled successfully, in seconds since the epoch.
fn last_success(exposition: &Exposition) -> f64 {
    exposition
        .value("debezium_exporter_last_success_timestamp_seconds", &[("source", "kafka"), ("target", "it")])
        .unwrap_or(0.0)
}
