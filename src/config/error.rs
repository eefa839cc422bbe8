//! Configuration errors that say where: the file, the key path, the line and the column.
//!
//! A value wrong on its own is refused while its scalar is parsed, and serde_norway gives the
//! location. A mistake that spans keys (two clusters with one name, `verify-full` without a
//! CA) is found after parsing, when only the key path is known; [`locate`] finds that key in
//! the text again, so every error reads the same way.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A configuration that cannot be used: `FILE: KEY: MESSAGE (line L, column C)`, each part
/// when known. The key is a path into the file (`sources.connect[1].name`) or a flag
/// (`--connect.url[0]`).
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    file: Option<PathBuf>,
    key: Option<String>,
    message: String,
    line_column: Option<(usize, usize)>,
    /// Already said of its own file (or of a file that cannot be read): not to be placed in
    /// another, as when the web config file named by the config file is wrong.
    settled: bool,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some((line, column)) = self.line_column {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// An error about no key in particular (a file that cannot be read names itself).
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError { file: None, key: None, message: message.into(), line_column: None, settled: false }
    }

    /// An error about a file that cannot be read at all; its message names the file.
    pub fn unreadable(message: impl Into<String>) -> Self {
        ConfigError { settled: true, ..ConfigError::new(message) }
    }

    /// An error about `key`: a key path of the file or a flag.
    pub fn at(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { key: Some(key.into()), ..ConfigError::new(message) }
    }

    /// The same error, said of `file` whose text is `text`: the key is located in it when the
    /// parser did not already say where. An error about a flag is not about the file, and one
    /// already said of a file stays said of it.
    pub fn in_file(mut self, file: &Path, text: &str) -> Self {
        if self.settled || self.key.as_deref().is_some_and(|key| key.starts_with("--")) {
            return self;
        }
        self = self.in_text(text);
        self.file = Some(file.to_owned());
        self.settled = true;
        self
    }

    /// The same error, its key located in the YAML `text` when the parser did not already say
    /// where (a check that spans keys knows only the key).
    pub fn in_text(mut self, text: &str) -> Self {
        if self.settled || self.key.as_deref().is_some_and(|key| key.starts_with("--")) {
            return self;
        }
        if self.line_column.is_none()
            && let Some(key) = &self.key
        {
            self.line_column = locate(text, key);
        }
        self
    }
}

/// The YAML text to parse: a UTF-8 byte order mark, which editors on Windows write, is
/// dropped; before a `---` document marker serde_norway reads it as part of a scalar.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses YAML into `T`; errors carry the key path, line and column.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(serde_norway::Deserializer::from_str(without_bom(text))).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let line_column = inner.location().map(|at| (at.line(), at.column()));
        // serde_norway prefixes messages with a path of its own and suffixes the location;
        // we say both once, our way.
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        let message = match message.split_once(": ") {
            Some((prefix, rest)) if !prefix.contains(' ') => rest,
            _ => message,
        };
        let key = match path.as_str() {
            "." | "" => None,
            _ => Some(path),
        };
        ConfigError { key, line_column, ..ConfigError::new(message) }
    })
}

/// The line and column of `key` (`sources.connect[1].name`) in the YAML `text`: of its value,
/// or, when the file does not have it (a default), of the nearest enclosing key it has.
pub fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let segments = segments(key)?;
    (1..=segments.len()).rev().find_map(|len| {
        let probe = Probe { rest: &segments[..len] };
        // The probe fails exactly at the key's node, so the parser's error says where it is.
        let error = probe.deserialize(serde_norway::Deserializer::from_str(without_bom(text))).err()?;
        error.location().map(|at| (at.line(), at.column()))
    })
}

#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[1].c` as keys and indexes; `None` for what is not such a path.
fn segments(key: &str) -> Option<Vec<Segment<'_>>> {
    let mut segments = Vec::new();
    for part in key.split('.') {
        let (name, mut indexes) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return None;
        }
        segments.push(Segment::Key(name));
        while let Some(rest) = indexes.strip_prefix('[') {
            let (index, after) = rest.split_once(']')?;
            segments.push(Segment::Index(index.parse().ok()?));
            indexes = after;
        }
        if !indexes.is_empty() {
            return None;
        }
    }
    Some(segments)
}

/// Walks the document along `rest` and fails at the node it leads to; succeeds when the
/// document has no such node.
struct Probe<'a> {
    rest: &'a [Segment<'a>],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let [first, rest @ ..] = self.rest else { return Err(serde::de::Error::custom("here")) };
        while let Some(key) = map.next_key::<serde_norway::Value>()? {
            match (first, key.as_str()) {
                (Segment::Key(wanted), Some(key)) if *wanted == key => match rest {
                    [] => map.next_value_seed(Here)?,
                    _ => map.next_value_seed(Probe { rest })?,
                },
                _ => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let [first, rest @ ..] = self.rest else { return Err(serde::de::Error::custom("here")) };
        let mut index = 0;
        loop {
            let more = match first {
                Segment::Index(wanted) if *wanted == index && rest.is_empty() => seq.next_element_seed(Here)?,
                Segment::Index(wanted) if *wanted == index => seq.next_element_seed(Probe { rest })?,
                _ => seq.next_element::<IgnoredAny>()?.map(drop),
            };
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    // A scalar where the path goes deeper: the document has no such key.
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// The node the key names: refused, whatever it is, so that the parser says where it is.
struct Here;

impl<'de> DeserializeSeed<'de> for Here {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Visitor<'_> for Here {
    type Value = ();

    /// Every `visit_*` keeps serde's default: an error, placed by the parser at this node.
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nothing: this is where the key is")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
poll:
  interval: 5s
sources:
  connect:
    - url: http://a:8083
    - name: b
      url: http://b:8083
  jolokia:
    - {url: 'http://w:8778/jolokia', connect_cluster: prod}
";

    #[test]
    fn keys_are_found_where_they_are_written() {
        assert_eq!(locate(YAML, "poll.interval"), Some((2, 13)));
        assert_eq!(locate(YAML, "sources.connect[1].name"), Some((6, 13)));
        assert_eq!(locate(YAML, "sources.connect[1].url"), Some((7, 12)));
        assert_eq!(locate(YAML, "sources.jolokia[0].connect_cluster"), Some((9, 55)));
    }

    #[test]
    fn a_key_the_file_lacks_is_placed_at_its_nearest_enclosing_key() {
        // A default name: the entry itself.
        assert_eq!(locate(YAML, "sources.connect[0].name"), Some((5, 7)));
        assert_eq!(locate(YAML, "poll.timeout"), locate(YAML, "poll"));
        assert_eq!(locate(YAML, "web.telemetry_path"), None);
        assert_eq!(locate(YAML, "sources.connect[5]"), locate(YAML, "sources.connect"));
        assert_eq!(locate(YAML, "poll.interval.deeper"), Some((2, 13)));
        assert_eq!(locate(YAML, "not a [path"), None);
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let text = format!("\u{feff}---\n{YAML}");
        assert_eq!(locate(&text, "sources.connect[1].name"), Some((7, 13)));
        #[derive(serde::Deserialize)]
        struct Poll {
            #[allow(dead_code)]
            poll: serde_norway::Value,
            #[allow(dead_code)]
            sources: serde_norway::Value,
        }
        assert!(parse_yaml::<Poll>(&text).is_ok());
    }

    #[test]
    fn errors_say_file_key_line_and_column() {
        let error = ConfigError::at("sources.connect[1].name", "cluster `b` is configured twice")
            .in_file(Path::new("c.yaml"), YAML);
        assert_eq!(
            error.to_string(),
            "c.yaml: sources.connect[1].name: cluster `b` is configured twice (line 6, column 13)"
        );
        let error = ConfigError::at("--connect.url[0]", "bad").in_file(Path::new("c.yaml"), YAML);
        assert_eq!(error.to_string(), "--connect.url[0]: bad");
        assert_eq!(
            segments("a.b[1][2].c"),
            Some(vec![Segment::Key("a"), Segment::Key("b"), Segment::Index(1), Segment::Index(2), Segment::Key("c")])
        );
    }
}
