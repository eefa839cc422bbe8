//! jmx_exporter's protocol: the `GET` of its text exposition, and the line grammar of that
//! format, parsed by hand: label values hold any character, and `\\`, `\"` and `\n` in them
//! are escapes to decode once, or connector names stop matching Connect's.

use std::borrow::Cow;

use bytes::Bytes;

use crate::http::{HttpClient, HttpError};

/// GETs the exposition at `url`, read whole.
pub(super) async fn scrape(client: &HttpClient, url: &str) -> Result<Bytes, HttpError> {
    // Ask for the classic text format: jmx_exporter 1.x may otherwise answer OpenMetrics.
    let request = client.get(url).header(reqwest::header::ACCEPT, "text/plain; version=0.0.4");
    client.fetch(request).await
}

/// What separates tokens within a line of the text format.
pub(super) const BLANKS: [char; 2] = [' ', '\t'];

/// One sample line: `name{label="value",...} value [timestamp]`. Values without an escape are
/// borrowed from the text.
#[derive(Debug, PartialEq)]
pub(super) struct SampleLine<'a> {
    pub name: &'a str,
    pub labels: Vec<(&'a str, Cow<'a, str>)>,
    pub value: f64,
}

impl<'a> SampleLine<'a> {
    /// Parses a line that is neither empty nor a comment; the error says what is wrong.
    pub fn parse(line: &'a str) -> Result<Self, &'static str> {
        let (name, rest) = identifier(line).ok_or("expected a metric name")?;
        let mut labels = Vec::new();
        let rest = match rest.trim_start_matches(BLANKS).strip_prefix('{') {
            Some(inside) => label_pairs(inside, &mut labels)?,
            None if rest.starts_with(BLANKS) => rest,
            None => return Err("expected `{` or a blank after the metric name"),
        };
        let mut fields = rest.split(BLANKS).filter(|field| !field.is_empty());
        // Rust reads Go's `NaN`, `+Inf` and `-Inf` too.
        let value = fields.next().ok_or("no value")?.parse().map_err(|_| "the value is not a number")?;
        if let Some(timestamp) = fields.next() {
            timestamp.parse::<i64>().map_err(|_| "the timestamp is not an integer")?;
        }
        if fields.next().is_some() {
            return Err("text after the timestamp");
        }
        Ok(SampleLine { name, labels, value })
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(label, _)| *label == name).map(|(_, value)| value.as_ref())
    }

    /// Whether this sample is one of the series of histogram or summary `family`.
    pub fn belongs_to(&self, family: &str) -> bool {
        self.name.strip_prefix(family).is_some_and(|suffix| matches!(suffix, "" | "_bucket" | "_sum" | "_count"))
    }
}

/// A metric or label name at the start of `text` (`[a-zA-Z_:][a-zA-Z0-9_:]*`; `:` is not
/// allowed in label names, which only matters for input we would reject anyway), and the rest.
fn identifier(text: &str) -> Option<(&str, &str)> {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(text.len());
    let name = &text[..end];
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| (name, &text[end..]))
}

/// Reads `name="value",...}` (after the `{`) into `labels`; returns what follows the `}`.
fn label_pairs<'a>(mut rest: &'a str, labels: &mut Vec<(&'a str, Cow<'a, str>)>) -> Result<&'a str, &'static str> {
    loop {
        rest = rest.trim_start_matches(BLANKS);
        if let Some(after) = rest.strip_prefix('}') {
            return Ok(after);
        }
        let (name, after) = identifier(rest).ok_or("expected a label name or `}`")?;
        let after = after.trim_start_matches(BLANKS).strip_prefix('=').ok_or("expected `=` after a label name")?;
        let after = after.trim_start_matches(BLANKS).strip_prefix('"').ok_or("expected a quoted label value")?;
        let (value, after) = label_value(after)?;
        if labels.iter().any(|(label, _)| *label == name) {
            return Err("a label name appears twice");
        }
        labels.push((name, value));
        rest = after.trim_start_matches(BLANKS);
        match rest.strip_prefix(',') {
            // A trailing comma is allowed: jmx_exporter 0.17 writes one.
            Some(after) => rest = after,
            None => return rest.strip_prefix('}').ok_or("expected `,` or `}` after a label value"),
        }
    }
}

/// Reads a label value after its opening quote: the value, unescaped, and what follows the
/// closing quote. Like Prometheus, an escape other than `\\`, `\"` and `\n` is kept as written.
fn label_value(text: &str) -> Result<(Cow<'_, str>, &str), &'static str> {
    const UNTERMINATED: &str = "a label value has no closing quote";
    let end = text.find(['"', '\\']).ok_or(UNTERMINATED)?;
    if text.as_bytes()[end] == b'"' {
        return Ok((Cow::Borrowed(&text[..end]), &text[end + 1..]));
    }
    let mut value = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(value), &text[index + 1..])),
            '\\' => match chars.next().ok_or(UNTERMINATED)?.1 {
                '\\' => value.push('\\'),
                '"' => value.push('"'),
                'n' => value.push('\n'),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            c => value.push(c),
        }
    }
    Err(UNTERMINATED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Result<SampleLine<'_>, &'static str> {
        SampleLine::parse(text)
    }

    fn labels<'a>(sample: &'a SampleLine) -> Vec<(&'a str, &'a str)> {
        sample.labels.iter().map(|(name, value)| (*name, value.as_ref())).collect()
    }

    #[test]
    fn escapes_in_label_values_are_decoded_once() {
        let sample = line(r#"m{a="x\\n",b="x\n",c="\"q\"",d="x\\\\y"} 1"#).unwrap();
        assert_eq!(labels(&sample), [("a", "x\\n"), ("b", "x\n"), ("c", "\"q\""), ("d", "x\\\\y")]);
        // Prometheus keeps any other escape as written.
        assert_eq!(labels(&line(r#"m{a="x\ty"} 1"#).unwrap()), [("a", r"x\ty")]);
    }

    #[test]
    fn the_grammar_of_a_sample_line() {
        let sample = line("m:x_1 { a = \"1\" ,\tb=\"\" , } 2.5 1700000000000").unwrap();
        assert_eq!((sample.name, labels(&sample), sample.value), ("m:x_1", vec![("a", "1"), ("b", "")], 2.5));
        assert_eq!(line("m 3").unwrap().value, 3.0);
        assert_eq!(line("m{} -4e-1").unwrap().value, -0.4);
        assert_eq!(line("m +Inf").unwrap().value, f64::INFINITY);
        assert!(line("m NaN").unwrap().value.is_nan());
        for (bad, problem) in [
            ("1m 1", "expected a metric name"),
            ("m1.0", "expected `{` or a blank after the metric name"),
            ("m{a=1} 1", "expected a quoted label value"),
            (r#"m{a="1} 1"#, "a label value has no closing quote"),
            (r#"m{a="1\"} 1"#, "a label value has no closing quote"),
            (r#"m{a="1" b="2"} 1"#, "expected `,` or `}` after a label value"),
            (r#"m{a="1",a="2"} 1"#, "a label name appears twice"),
            (r#"m{,} 1"#, "expected a label name or `}`"),
            (r#"m{a="1"}"#, "no value"),
            ("m one", "the value is not a number"),
            ("m 1 soon", "the timestamp is not an integer"),
            ("m 1 2 3", "text after the timestamp"),
        ] {
            assert_eq!(line(bad).err(), Some(problem), "{bad}");
        }
    }
}
