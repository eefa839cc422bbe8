//! PostgreSQL identifiers as the outbox settings name tables and columns: parsed by
//! PostgreSQL's rules (unquoted parts fold to lower case) and always sent quoted, so a value
//! like `public.outbox; drop table x` can neither be executed nor even accepted.

use std::fmt;

use crate::config::values::parsed_from_string;

/// A PostgreSQL identifier, already case-folded; rendered quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier(String);

parsed_from_string!(Identifier);

impl TryFrom<String> for Identifier {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match parse_identifiers(&text)?.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!("`{text}` is not a single column name")),
        }
    }
}

impl Identifier {
    /// The name as PostgreSQL stores it.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The identifier as SQL, always quoted: `"created_at"`.
    pub fn quoted(&self) -> String {
        quote_identifier(&self.0)
    }
}

/// A name as PostgreSQL stores it (from the config or the catalog), quoted for SQL.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table` or `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub schema: Option<Identifier>,
    pub name: Identifier,
}

parsed_from_string!(QualifiedName);

impl TryFrom<String> for QualifiedName {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let mut parts = parse_identifiers(&text)?;
        match parts.len() {
            1 => Ok(QualifiedName { schema: None, name: parts.remove(0) }),
            2 => {
                let name = parts.remove(1);
                Ok(QualifiedName { schema: Some(parts.remove(0)), name })
            }
            _ => Err(format!("`{text}` is not `schema.table` or `table`")),
        }
    }
}

impl QualifiedName {
    /// The name as SQL, every part quoted: `"public"."outbox"`.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", schema.quoted(), self.name.quoted()),
            None => self.name.quoted(),
        }
    }

    /// `schema.table` as Debezium's `table.include.list` names it; `public` when no schema is
    /// given, since that is where an unqualified name usually resolves.
    pub fn debezium_name(&self) -> String {
        let schema = self.schema.as_ref().map_or("public", Identifier::name);
        format!("{schema}.{}", self.name.name())
    }
}

impl fmt::Display for QualifiedName {
    /// The `table` label: `public.outbox`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{}.{}", schema.name(), self.name.name()),
            None => f.write_str(self.name.name()),
        }
    }
}

/// Splits `a.b` into identifiers by PostgreSQL's rules: unquoted parts are letters, digits,
/// `_` and `$` (not first) and fold to lower case; quoted parts keep everything, `""` being a
/// quote. Anything else (spaces, semicolons, comments) is refused.
fn parse_identifiers(text: &str) -> Result<Vec<Identifier>, String> {
    let refuse = |why: &str| format!("`{text}` is not a PostgreSQL identifier: {why}");
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some('\0') => return Err(refuse("NUL character")),
                    Some(c) => part.push(c),
                    None => return Err(refuse("unterminated quote")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                let valid = c == '_' || c.is_alphabetic() || (!part.is_empty() && (c.is_ascii_digit() || c == '$'));
                if !valid {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return Err(refuse("empty name or unexpected character"));
        }
        if part.len() > 63 {
            return Err(refuse("longer than 63 bytes"));
        }
        parts.push(Identifier(part));
        match chars.next() {
            None => return Ok(parts),
            Some('.') => continue,
            Some(c) => return Err(refuse(&format!("unexpected `{c}`; quote the name if it really contains one"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_fold_case_and_quote() {
        let table = QualifiedName::try_from("Public.Outbox".to_owned()).unwrap();
        assert_eq!(table.quoted(), "\"public\".\"outbox\"");
        assert_eq!(table.to_string(), "public.outbox");
        let table = QualifiedName::try_from("\"My \"\"Odd\"\" Schema\".events_2$".to_owned()).unwrap();
        assert_eq!(table.quoted(), "\"My \"\"Odd\"\" Schema\".\"events_2$\"");
        let table = QualifiedName::try_from("outbox".to_owned()).unwrap();
        assert_eq!(table.quoted(), "\"outbox\"");
        for bad in ["", "a.b.c", "a..b", "1abc", "a b", "a;b", "\"open", "a.\"b\"c", "a--", "a/*x*/"] {
            assert!(QualifiedName::try_from(bad.to_owned()).is_err(), "{bad:?} was accepted");
        }
    }
}
