//! The two languages people read the exporter's output in: Korean, like the runbook, and
//! English. The generator writes alerts and dashboards in one (`--lang`); the status page
//! chooses per request.

/// A language of alerts, dashboards and the status page; the runbook carries both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Korean, like the runbook.
    #[default]
    Ko,
    En,
}

impl Lang {
    /// `ko` or `en`: the page's `lang` attribute and `?lang=` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// `?lang=ko|en` first, then the `Accept-Language` language with the highest weight among
    /// the two; English when neither says.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        let parse = |tag: &str| match tag.trim().split(['-', '_']).next().map(str::to_ascii_lowercase).as_deref() {
            Some("ko") => Some(Lang::Ko),
            Some("en") => Some(Lang::En),
            _ => None,
        };
        if let Some(lang) = query.and_then(parse) {
            return lang;
        }
        let mut best: Option<(f32, Lang)> = None;
        for range in accept_language.unwrap_or_default().split(',') {
            let mut parts = range.split(';');
            let Some(lang) = parts.next().and_then(parse) else { continue };
            let weight = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(known, _)| weight > known) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_then_the_heaviest_accepted_language() {
        assert_eq!(Lang::choose(Some("ko"), Some("en")), Lang::Ko);
        assert_eq!(Lang::choose(None, Some("ko-KR,ko;q=0.9,en-US;q=0.8")), Lang::Ko);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9,ko;q=0.8")), Lang::En);
        assert_eq!(Lang::choose(None, Some("fr, ko;q=0.5")), Lang::Ko);
        assert_eq!(Lang::choose(None, Some("ko;q=0, de")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), None), Lang::En);
    }
}
