//! The two languages of everything people read in the generated files: alert annotations, the
//! dashboard's titles and descriptions, and the runbook (which carries both), with the way each
//! language writes a duration, a size or a share.

use std::time::Duration;

use super::promql::duration;
pub use crate::catalog::Lang;

/// Text in the runbook's language and in English. Annotation texts may print
/// `{{ $labels.x }}` for any label the alert's example carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

impl Text {
    pub fn new(ko: impl Into<String>, en: impl Into<String>) -> Self {
        Text { ko: ko.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.ko,
            Lang::En => &self.en,
        }
    }
}

/// `1분`, `10분`, `1시간 30분`.
pub fn duration_ko(value: Duration) -> String {
    duration(value)
        .replace('d', "일 ")
        .replace('h', "시간 ")
        .replace('m', "분 ")
        .replace('s', "초 ")
        .trim_end()
        .to_owned()
}

/// `1 minute`, `10 minutes`.
pub fn duration_en(value: Duration) -> String {
    humantime::format_duration(value).to_string().replace("min", " minutes").replace("1 minutes", "1 minute")
}

/// `10`, `12.5`: a share as a percentage people read.
pub fn percent(ratio: f64) -> String {
    format!("{}", (ratio * 10_000.0).round() / 100.0)
}
