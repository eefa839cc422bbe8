//! The only place that speaks Connect's REST API: the requests one poll sends, and the wire
//! format of the answers, of which only what we read is deserialized.
//!
//! `expand=info` returns each connector's whole config, database password included in clear
//! text. Only the few keys in [`ConnectorConfig`] are ever deserialized; the values of every
//! other key are skipped unread and never leave the response body.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use super::error::ConnectError;
use crate::http::HttpClient;

/// The one request of a poll, whatever the number of connectors.
const EXPANDED: &str = "connectors?expand=status&expand=info";

/// The REST API of one Connect cluster.
pub(super) struct ConnectClient {
    /// The configured URL, ending in `/`, so that paths are joined below it.
    base: Url,
    http: HttpClient,
}

/// What Connect < 2.3 answered about one connector it listed.
pub(super) enum LegacyAnswer {
    /// `GET /connectors/NAME/status` and `GET /connectors/NAME`, unread.
    Found { status: Bytes, info: Bytes },
    /// Deleted between the listing and these requests: simply gone.
    Gone,
    /// Its name cannot be asked for in a URL path (`.` and `..`); nothing was sent.
    Unaddressable,
}

impl ConnectClient {
    pub(super) fn new(url: &Url, http: HttpClient) -> Self {
        let mut base = url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        ConnectClient { base, http }
    }

    /// The REST endpoint (never holds credentials), for the commands `check` prints.
    pub(super) fn rest_url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `GET /connectors?expand=status&expand=info`: every connector's status and info.
    pub(super) async fn expanded(&self) -> Result<Bytes, ConnectError> {
        let url = self.base.join(EXPANDED).map_err(|source| ConnectError::Url { path: EXPANDED.to_owned(), source })?;
        Ok(self.http.fetch(self.http.get(url.as_str())).await?)
    }

    /// Connect < 2.3: one status and one info request for one connector, both always sent.
    pub(super) async fn legacy(&self, name: &str) -> Result<LegacyAnswer, ConnectError> {
        let (Some(status), Some(info)) =
            (connector_url(&self.base, name, Some("status")), connector_url(&self.base, name, None))
        else {
            return Ok(LegacyAnswer::Unaddressable);
        };
        let status = self.get_unless_missing(status).await?;
        let info = self.get_unless_missing(info).await?;
        Ok(match (status, info) {
            (Some(status), Some(info)) => LegacyAnswer::Found { status, info },
            _ => LegacyAnswer::Gone,
        })
    }

    async fn get_unless_missing(&self, url: Url) -> Result<Option<Bytes>, ConnectError> {
        Ok(self.http.fetch_unless_missing(self.http.get(url.as_str())).await?)
    }
}

/// `base` (ending in `/`) + `connectors/NAME[/ACTION]`, the name one percent-encoded path
/// segment: a space is `%20`, not the `+` of a form, and a `/` is `%2F`. `None` for the names
/// `.` and `..`, which every URL parser reads as a move in the path, not as a name.
fn connector_url(base: &Url, name: &str, action: Option<&str>) -> Option<Url> {
    if matches!(name, "." | "..") {
        return None;
    }
    let mut url = base.clone();
    {
        let mut segments = url.path_segments_mut().ok()?;
        segments.pop_if_empty().push("connectors").push(name);
        if let Some(action) = action {
            segments.push(action);
        }
    }
    Some(url)
}

// ---- Wire format: only what we read. Unknown fields (the rest of the config) are skipped.

/// The listing: an object keyed by connector name, or Connect < 2.3's array of names. Each
/// connector's entry stays raw JSON until it is read on its own, so that one connector Connect
/// describes in a way we cannot read is skipped alone instead of failing the whole answer.
pub(super) enum ConnectorsResponse<'a> {
    Expanded(Vec<(Name, &'a RawValue)>),
    Names(Vec<Name>),
}

impl<'de> Deserialize<'de> for ConnectorsResponse<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Listing;
        impl<'de> serde::de::Visitor<'de> for Listing {
            type Value = ConnectorsResponse<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object of connectors by name, or an array of connector names")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(ConnectorsResponse::Expanded(entries))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(ConnectorsResponse::Names(names))
            }
        }
        deserializer.deserialize_any(Listing)
    }
}

/// A connector name as Connect wrote it. Java strings may hold a lone UTF-16 surrogate, which
/// Jackson writes as `\uD800` and which no Rust string can hold: such a name is `Err`, spelled
/// as in the JSON for the log.
pub(super) struct Name(pub(super) Result<String, String>);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Name;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a connector name")
            }

            fn visit_str<E>(self, name: &str) -> Result<Name, E> {
                Ok(Name(Ok(name.to_owned())))
            }

            fn visit_bytes<E>(self, name: &[u8]) -> Result<Name, E> {
                Ok(Name(String::from_utf8(name.to_vec()).map_err(|_| spelled_as_json(name))))
            }
        }
        // As bytes, serde_json hands a string over without requiring valid Unicode: a lone
        // surrogate arrives as its WTF-8 bytes instead of failing the whole answer.
        deserializer.deserialize_bytes(Text)
    }
}

/// WTF-8 (UTF-8 that may encode lone surrogates, what serde_json gives for `\uD800`) as text,
/// each surrogate written back as its JSON escape.
fn spelled_as_json(mut bytes: &[u8]) -> String {
    let mut text = String::new();
    while !bytes.is_empty() {
        let valid = match std::str::from_utf8(bytes) {
            Ok(valid) => valid,
            Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default(),
        };
        text.push_str(valid);
        bytes = match &bytes[valid.len()..] {
            [0xED, high @ 0xA0..=0xBF, low @ 0x80..=0xBF, rest @ ..] => {
                let surrogate = 0xD000 | (u32::from(high & 0x3F) << 6) | u32::from(low & 0x3F);
                text.push_str(&format!("\\u{surrogate:04X}"));
                rest
            }
            [_, rest @ ..] => {
                text.push(char::REPLACEMENT_CHARACTER);
                rest
            }
            [] => &[],
        };
    }
    text
}

#[derive(Deserialize)]
pub(super) struct Expanded {
    pub(super) info: Option<Info>,
    pub(super) status: Option<Status>,
}

#[derive(Deserialize)]
pub(super) struct Info {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) config: ConnectorConfig,
}

/// The only connector config keys we ever deserialize. Never add a secret here: the values of
/// every other key are skipped unread ([`serde::de::IgnoredAny`]).
#[derive(Default)]
pub(super) struct ConnectorConfig {
    /// `connector.class`
    pub(super) class: Option<String>,
    /// `database.dbname`
    pub(super) database: Option<String>,
    /// `slot.name`
    pub(super) slot: Option<String>,
    /// `topic.prefix`
    pub(super) topic_prefix: Option<String>,
    /// `database.server.name`: Debezium 1.x's name for `topic.prefix`.
    pub(super) server_name: Option<String>,
    /// `plugin.name`
    pub(super) plugin: Option<String>,
    /// `publication.name`
    pub(super) publication: Option<String>,
    /// `database.user`: named in the `ALTER ROLE` that `check` prints (the password never is read).
    pub(super) user: Option<String>,
    /// `snapshot.mode`
    pub(super) snapshot_mode: Option<String>,
    /// `table.include.list`
    pub(super) table_include_list: Option<String>,
    /// `table.whitelist`: Debezium 1.x's name for `table.include.list`.
    pub(super) table_whitelist: Option<String>,
    /// `table.exclude.list`
    pub(super) table_exclude_list: Option<String>,
    /// `table.blacklist`: Debezium 1.x's name for `table.exclude.list`.
    pub(super) table_blacklist: Option<String>,
    /// `schema.include.list`
    pub(super) schema_include_list: Option<String>,
    /// `schema.whitelist`: Debezium 1.x's name for `schema.include.list`.
    pub(super) schema_whitelist: Option<String>,
    /// `schema.exclude.list`
    pub(super) schema_exclude_list: Option<String>,
    /// `schema.blacklist`: Debezium 1.x's name for `schema.exclude.list`.
    pub(super) schema_blacklist: Option<String>,
    /// `transforms`: the transform aliases, in order.
    pub(super) transforms: Option<String>,
    /// `transforms.<alias>.type` and `transforms.<alias>.route.topic.replacement`, by full key.
    pub(super) transform_settings: BTreeMap<String, String>,
}

/// Whether a `transforms.<alias>.<setting>` key is one the outbox routing needs.
fn is_routing_key(key: &str) -> bool {
    key.strip_prefix("transforms.")
        .is_some_and(|rest| rest.ends_with(".type") || rest.ends_with(".route.topic.replacement"))
}

impl<'de> Deserialize<'de> for ConnectorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = ConnectorConfig;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a connector config object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ConnectorConfig, A::Error> {
                let mut config = ConnectorConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    let field = match key.as_str() {
                        "connector.class" => &mut config.class,
                        "database.dbname" => &mut config.database,
                        "slot.name" => &mut config.slot,
                        "topic.prefix" => &mut config.topic_prefix,
                        "database.server.name" => &mut config.server_name,
                        "plugin.name" => &mut config.plugin,
                        "publication.name" => &mut config.publication,
                        "database.user" => &mut config.user,
                        "snapshot.mode" => &mut config.snapshot_mode,
                        "table.include.list" => &mut config.table_include_list,
                        "table.whitelist" => &mut config.table_whitelist,
                        "table.exclude.list" => &mut config.table_exclude_list,
                        "table.blacklist" => &mut config.table_blacklist,
                        "schema.include.list" => &mut config.schema_include_list,
                        "schema.whitelist" => &mut config.schema_whitelist,
                        "schema.exclude.list" => &mut config.schema_exclude_list,
                        "schema.blacklist" => &mut config.schema_blacklist,
                        "transforms" => &mut config.transforms,
                        _ if is_routing_key(&key) => {
                            if let Some(value) = map.next_value::<Option<String>>()? {
                                config.transform_settings.insert(key, value);
                            }
                            continue;
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *field = map.next_value()?;
                }
                Ok(config)
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

#[derive(Deserialize)]
pub(super) struct Status {
    pub(super) connector: StateEntry,
    #[serde(default)]
    pub(super) tasks: Vec<TaskEntry>,
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct StateEntry {
    pub(super) state: String,
    #[serde(default)]
    pub(super) worker_id: String,
    pub(super) trace: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TaskEntry {
    pub(super) id: u32,
    pub(super) state: String,
    #[serde(default)]
    pub(super) worker_id: String,
    pub(super) trace: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogates_are_spelled_as_in_the_json() {
        assert_eq!(spelled_as_json("añb".as_bytes()), "añb");
        // What serde_json makes of "a\uD800b\uDFFF".
        assert_eq!(spelled_as_json(b"a\xED\xA0\x80b\xED\xBF\xBF"), r"a\uD800b\uDFFF");
        assert_eq!(spelled_as_json(b"a\xFFb"), "a\u{FFFD}b");
    }

    #[test]
    fn legacy_urls_take_the_name_as_one_path_segment() {
        let base = Url::parse("http://connect:8083/prefix/").unwrap();
        let url = |name, action| connector_url(&base, name, action).map(String::from);
        assert_eq!(
            url("inventory db", Some("status")).as_deref(),
            Some("http://connect:8083/prefix/connectors/inventory%20db/status")
        );
        assert_eq!(url("a/b?c#d%e", None).as_deref(), Some("http://connect:8083/prefix/connectors/a%2Fb%3Fc%23d%25e"));
        assert_eq!(url("..", None), None);
    }
}
