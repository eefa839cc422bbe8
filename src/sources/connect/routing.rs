//! The outbox `EventRouter`'s routing semantics: from a Debezium connector's config, which
//! tables' events it captures and the topics they go to ([`OutboxRouting`]). The PostgreSQL
//! source uses the routes for outbox tables configured without `published_topics`
//! ([`crate::join::published`]).

use super::client::ConnectorConfig;
use super::model::ConnectCluster;
use crate::join::OutboxRouting;

/// The Debezium outbox transform.
pub const EVENT_ROUTER: &str = "io.debezium.transforms.outbox.EventRouter";

/// The EventRouter's default `route.topic.replacement`.
pub const DEFAULT_ROUTE_TOPIC_REPLACEMENT: &str = "outbox.event.${routedByValue}";

/// The routing of a connector whose **last** transform is the EventRouter. A transform after
/// it could rename the topic again, so then nothing is derived.
pub(super) fn outbox_routing(config: &ConnectorConfig) -> Option<OutboxRouting> {
    let last = config.transforms.as_deref()?.split(',').map(str::trim).rfind(|alias| !alias.is_empty())?;
    let setting = |key: &str| config.transform_settings.get(&format!("transforms.{last}.{key}"));
    if setting("type").map(String::as_str) != Some(EVENT_ROUTER) {
        return None;
    }
    let replacement = setting("route.topic.replacement").map_or(DEFAULT_ROUTE_TOPIC_REPLACEMENT, String::as_str);
    // Each list under its current name, else under Debezium 1.x's.
    let entries = |list: &Option<String>, legacy: &Option<String>| -> Vec<String> {
        let list = list.as_ref().or(legacy.as_ref());
        list.map(|list| list.split(',').map(str::trim).filter(|entry| !entry.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    Some(OutboxRouting {
        tables: entries(&config.table_include_list, &config.table_whitelist),
        excluded_tables: entries(&config.table_exclude_list, &config.table_blacklist),
        schemas: entries(&config.schema_include_list, &config.schema_whitelist),
        excluded_schemas: entries(&config.schema_exclude_list, &config.schema_blacklist),
        topic_regex: replacement_regex(replacement),
    })
}

/// A regex matching every result of a Java regex replacement string: literal text is escaped,
/// each group reference (`${name}`, `$1`) becomes `.*`, `\x` is a literal `x`.
pub fn replacement_regex(replacement: &str) -> String {
    let mut regex = String::new();
    let mut chars = replacement.chars().peekable();
    let literal = |regex: &mut String, c: char| regex.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    literal(&mut regex, escaped);
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.by_ref().find(|&c| c == '}');
                regex.push_str(".*");
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.next_if(char::is_ascii_digit).is_some() {}
                regex.push_str(".*");
            }
            other => literal(&mut regex, other),
        }
    }
    regex
}

impl ConnectCluster {
    /// (connector, `database.dbname`, routing) of every Debezium connector with an EventRouter,
    /// for [`crate::join::PublishedTopics::record_routes`].
    pub fn outbox_routings(&self) -> impl Iterator<Item = (&str, &str, &OutboxRouting)> {
        self.connectors.iter().filter_map(|connector| {
            let debezium = connector.debezium.as_ref()?;
            Some((connector.name.as_str(), debezium.database.as_str(), debezium.outbox.as_ref()?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing(config: serde_json::Value) -> Option<OutboxRouting> {
        let config: ConnectorConfig = serde_json::from_value(config).unwrap();
        outbox_routing(&config)
    }

    #[test]
    fn outbox_routing_follows_the_event_router_settings() {
        // The stack's template, as POSTed by the tests and scripts.
        let template: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/connectors/outbox-connector.json"))
                .unwrap(),
        )
        .unwrap();
        let derived = routing(template["config"].clone()).unwrap();
        assert_eq!(derived.topic_regex, r"outbox\.event\..*");
        assert_eq!(derived.tables, ["public.outbox"]);

        // The default replacement, two tables, Debezium 1.x's key.
        let derived = routing(serde_json::json!({
            "transforms": "outbox",
            "transforms.outbox.type": EVENT_ROUTER,
            "table.whitelist": "public.orders_outbox, billing\\..*_outbox",
        }))
        .unwrap();
        assert_eq!(derived.topic_regex, r"outbox\.event\..*");
        assert_eq!(derived.tables, ["public.orders_outbox", r"billing\..*_outbox"]);

        // A custom replacement with a numbered group and an escaped dollar.
        let derived = routing(serde_json::json!({
            "transforms": "unwrapped, router",
            "transforms.router.type": EVENT_ROUTER,
            "transforms.router.route.topic.regex": "(.*)",
            "transforms.router.route.topic.replacement": "shop-$1-events\\$",
        }))
        .unwrap();
        assert_eq!(derived.topic_regex, r"shop\-.*\-events\$");
        assert!(derived.tables.is_empty(), "no include list: every table");

        // The other capture filters, under their current and their 1.x names.
        let derived = routing(serde_json::json!({
            "transforms": "outbox",
            "transforms.outbox.type": EVENT_ROUTER,
            "table.exclude.list": "shop.audit_outbox",
            "schema.include.list": "shop, billing",
            "schema.blacklist": "archive",
        }))
        .unwrap();
        assert_eq!(
            (derived.excluded_tables, derived.schemas, derived.excluded_schemas),
            (
                vec!["shop.audit_outbox".to_owned()],
                vec!["shop".to_owned(), "billing".to_owned()],
                vec!["archive".to_owned()]
            )
        );

        // A fixed topic.
        assert_eq!(
            routing(serde_json::json!({
                "transforms": "outbox",
                "transforms.outbox.type": EVENT_ROUTER,
                "transforms.outbox.route.topic.replacement": "all.events",
            }))
            .unwrap()
            .topic_regex,
            r"all\.events"
        );

        // Another transform after the EventRouter may rename the topic: nothing is derived.
        assert_eq!(
            routing(serde_json::json!({
                "transforms": "outbox,rename",
                "transforms.outbox.type": EVENT_ROUTER,
                "transforms.rename.type": "org.apache.kafka.connect.transforms.RegexRouter",
            })),
            None
        );
        assert_eq!(routing(serde_json::json!({"transforms.outbox.type": EVENT_ROUTER})), None, "not listed");
        assert_eq!(routing(serde_json::json!({})), None);
    }
}
