//! ObjectName text as both bridges meet it: folded attribute names and quoted key values.

use std::borrow::Cow;

/// An attribute name folded to lower case without `-` and `_`.
pub fn attribute_key(name: &str) -> String {
    name.chars().filter(|c| *c != '-' && *c != '_').map(|c| c.to_ascii_lowercase()).collect()
}

/// Reads a quoted ObjectName value (after its opening quote): the value and what follows it.
/// The escapes are those `ObjectName.quote` writes, `\n` a newline; like `ObjectName.unquote`,
/// any other escape is refused.
pub fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                escaped @ ('\\' | '"' | '*' | '?') => value.push(escaped),
                _ => return None,
            },
            '"' => return Some((value, &text[index + 1..])),
            c => value.push(c),
        }
    }
    None
}

/// An ObjectName key's value as its owner meant it: a quoted value (`"a,b"`) unquoted, any
/// other as it is. Kafka and Debezium quote only values that need it, so a value that starts
/// and ends with a quote is a quoted one.
pub fn unquoted(value: &str) -> Cow<'_, str> {
    match value.strip_prefix('"').and_then(unquote) {
        Some((unquoted, "")) => Cow::Owned(unquoted),
        _ => Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_of_every_dialect_meet() {
        for name in ["MilliSecondsBehindSource", "millisecondsbehindsource", "milli_seconds_behind_source"] {
            assert_eq!(attribute_key(name), "millisecondsbehindsource");
        }
        assert_eq!(attribute_key("total-record-failures"), attribute_key("total_record_failures"));
    }

    #[test]
    fn only_a_wholly_quoted_value_is_unquoted() {
        assert_eq!(unquoted(r#""a,b\n\"c\"""#), "a,b\n\"c\"");
        for as_is in ["plain", r#""a"b"#, r#""open"#, r#""bad \t escape""#, r#"mid"dle"#] {
            assert!(matches!(unquoted(as_is), Cow::Borrowed(value) if value == as_is), "{as_is}");
        }
    }
}
