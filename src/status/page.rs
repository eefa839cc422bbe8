//! The view as one HTML document: inline CSS, no script, nothing loaded from elsewhere (the
//! page works air-gapped), `<meta http-equiv="refresh">` to follow the polls. Every string that
//! came from an upstream goes through [`shown`]. The parts of a pipeline are an ordered list
//! that wraps on a narrow screen rather than overflowing it.

use std::fmt::Write;
use std::time::{Duration, UNIX_EPOCH};

use html_escape::{encode_double_quoted_attribute, encode_text};

use super::model::{Health, Node, PipelineView, View};
use super::settings::Settings;
use crate::catalog::{Anchor, FailureCause, Lang};
use crate::snapshot::Finding;
use crate::text::sanitize_for_terminal;

const STYLE: &str = "\
*{box-sizing:border-box}\
body{font-family:system-ui,'Noto Sans CJK KR','NanumGothic',sans-serif;margin:0 auto;padding:1em 1.5em;max-width:80em;color:#1d2430;background:#f6f7f9;overflow-wrap:anywhere}\
header{display:flex;flex-wrap:wrap;gap:.5em 2em;align-items:baseline}\
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:0 0 .6em}\
.meta,.meta a{color:#5a6372;font-size:.9em}\
.pipeline{background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:1em;margin:1em 0}\
.pipeline h2 small{color:#5a6372;font-weight:normal}\
ol.chain{list-style:none;display:flex;flex-wrap:wrap;align-items:stretch;gap:.4em;padding:0;margin:0}\
ol.chain>li{display:flex;align-items:stretch;gap:.4em;flex:1 1 11em;min-width:0}\
ol.chain>li+li::before{content:'\\2192';align-self:center;font-size:1.4em;color:#8a93a3}\
.node{flex:1;min-width:0;border:2px solid;border-radius:6px;padding:.5em .6em;background:#fff}\
.node .top{display:flex;justify-content:space-between;align-items:flex-start;gap:.4em;margin:0 0 .3em}\
.node h3{font-size:.8em;text-transform:uppercase;letter-spacing:.03em;margin:0;color:#3b4452}\
.node .badge{flex:none;font-size:.75em;font-weight:bold;padding:0 .4em;border-radius:3px;color:#fff}\
.node ul{list-style:none;margin:0;padding:0}.node li{margin:.25em 0}.node .name{font-weight:600}\
.node .fig{display:block;font-size:.85em;color:#3b4452}.node .note{font-size:.85em;color:#5a6372}\
.ok{border-color:#2e8540}.ok .badge,.sev.ok{background:#2e8540}\
.warning{border-color:#c77c02;background:#fff8e6}.warning .badge,.sev.warning{background:#c77c02}\
.critical{border-color:#c62828;background:#fdecea}.critical .badge,.sev.critical{background:#c62828}\
.unknown{border-color:#9aa1ad;border-style:dashed}.unknown .badge,.sev.unknown{background:#7a8290}\
.findings{list-style:none;padding:0}.findings>li{background:#fff;border-left:6px solid;border-radius:4px;padding:.6em .8em;margin:.6em 0}\
.findings>li.critical{border-color:#c62828}.findings>li.warning{border-color:#c77c02}\
.sev{color:#fff;font-size:.75em;font-weight:bold;padding:0 .4em;border-radius:3px;margin-right:.5em}\
.findings ol{margin:.4em 0;padding-left:1.4em}.findings code{font-size:.85em;white-space:pre-wrap}\
table{border-collapse:collapse;background:#fff;width:100%}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #e4e7ec;vertical-align:top}\
td.down{color:#c62828;font-weight:bold}td.up{color:#2e8540}\
details{margin:1em 0}summary{cursor:pointer}\
";

/// The whole document.
pub fn html(view: &View, settings: &Settings, lang: Lang) -> String {
    let mut page = String::with_capacity(16 * 1024);
    let refresh = settings.refresh.as_secs().max(1);
    let _ = write!(
        page,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><meta http-equiv=\"refresh\" content=\"{refresh}\">\
         <title>{} · debezium-exporter</title><style>{STYLE}</style></head><body>",
        lang.code(),
        lang.title(),
    );
    let at = humantime::format_rfc3339_seconds(UNIX_EPOCH + since_epoch(view));
    let other = match lang {
        Lang::En => "<a href=\"?lang=ko\" hreflang=\"ko\">한국어</a>",
        Lang::Ko => "<a href=\"?lang=en\" hreflang=\"en\">English</a>",
    };
    let _ = write!(
        page,
        "<header><h1>{}</h1><span class=\"meta\">{} <a href=\"{}\">/metrics</a> · {other} · debezium-exporter {}</span></header>",
        lang.title(),
        encode_text(&lang.refreshes(Duration::from_secs(refresh), &at.to_string())),
        encode_double_quoted_attribute(&settings.telemetry_path),
        env!("CARGO_PKG_VERSION"),
    );
    if view.pipelines.is_empty() {
        let _ = write!(page, "<p>{}</p>", lang.no_pipeline());
    }
    for pipeline in &view.pipelines {
        pipeline_html(&mut page, pipeline, lang);
    }
    findings_html(&mut page, &view.findings, settings, lang);
    sources_html(&mut page, view, lang);
    page.push_str("</body></html>\n");
    page
}

fn since_epoch(view: &View) -> Duration {
    let since = view.now.duration_since(UNIX_EPOCH).unwrap_or_default();
    Duration::from_secs(since.as_secs())
}

fn pipeline_html(page: &mut String, pipeline: &PipelineView, lang: Lang) {
    let _ = write!(
        page,
        "<section class=\"pipeline\" data-connector=\"{}\" data-health=\"{}\"><h2>{} <small>{} · {}</small></h2><ol class=\"chain\">",
        encode_double_quoted_attribute(&sanitize_for_terminal(&pipeline.connector)),
        pipeline.health.as_str(),
        shown(&pipeline.connector),
        shown(&pipeline.cluster),
        lang.health(pipeline.health),
    );
    for node in &pipeline.nodes {
        node_html(page, node, lang);
    }
    page.push_str("</ol></section>");
}

fn node_html(page: &mut String, node: &Node, lang: Lang) {
    let health = node.health.as_str();
    let _ = write!(
        page,
        "<li><div class=\"node {health}\" data-stage=\"{}\" data-health=\"{health}\"><div class=\"top\"><h3>{}</h3><span class=\"badge\">{}</span></div><ul>",
        node.stage.as_str(),
        lang.stage(node.stage),
        lang.health(node.health),
    );
    for item in &node.items {
        let _ = write!(
            page,
            "<li data-health=\"{}\"><span class=\"name\">{}</span>",
            item.health.as_str(),
            shown(&item.name)
        );
        if node.items.len() > 1 && item.health != Health::Ok {
            let _ = write!(page, " <span class=\"sev {}\">{}</span>", item.health.as_str(), lang.health(item.health));
        }
        for figure in &item.figures {
            let _ = write!(page, "<span class=\"fig\">{}</span>", shown(&lang.figure(figure)));
        }
        page.push_str("</li>");
    }
    if let Some(note) = node.note {
        let _ = write!(page, "<li class=\"note\">{}</li>", lang.note(note));
    }
    page.push_str("</ul></div></li>");
}

fn findings_html(page: &mut String, findings: &[Finding], settings: &Settings, lang: Lang) {
    let _ = write!(page, "<section><h2>{}</h2>", lang.findings());
    if findings.is_empty() {
        let _ = write!(page, "<p class=\"nothing\">{}</p></section>", lang.nothing());
        return;
    }
    page.push_str("<ul class=\"findings\">");
    for finding in findings {
        let severity = Health::of_severity(finding.severity);
        let _ = write!(
            page,
            "<li class=\"{0}\" data-severity=\"{0}\"><div><span class=\"sev {0}\">{1}</span><strong>{2}</strong></div><div class=\"problem\">{3}</div><ol>",
            severity.as_str(),
            lang.health(severity),
            shown(&finding.subject),
            shown(&finding.problem),
        );
        for action in &finding.actions {
            let _ = write!(page, "<li><code>{}</code></li>", shown(action));
        }
        let href = format!("{}#{}", settings.runbook_url, finding.runbook);
        let step =
            Anchor::ALL.iter().find(|anchor| anchor.id() == finding.runbook).map(|anchor| anchor.title().to_owned());
        let cause = FailureCause::ALL.iter().find(|cause| cause.anchor() == finding.runbook);
        let title = step
            .or_else(|| cause.map(|cause| format!("{}: {}", lang.failure_cause(), cause.label())))
            .unwrap_or_else(|| finding.runbook.to_owned());
        let _ = write!(
            page,
            "</ol><div>{}: <a class=\"runbook\" href=\"{}\">{}</a></div></li>",
            lang.runbook(),
            encode_double_quoted_attribute(&href),
            encode_text(&title),
        );
    }
    page.push_str("</ul></section>");
}

fn sources_html(page: &mut String, view: &View, lang: Lang) {
    let _ = write!(page, "<section><h2>{}</h2><table>", lang.sources());
    for (status, polled, since) in &view.sources {
        let class = if !polled {
            ""
        } else if status.up {
            "up"
        } else {
            "down"
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td></tr>",
            status.source,
            shown(&status.target),
            lang.source_state(*polled, status.up),
            encode_text(&lang.last_success(*since)),
            shown(status.error.as_deref().unwrap_or_default()),
        );
    }
    page.push_str("</table></section>");
    if view.lines.is_empty() {
        return;
    }
    let _ = write!(page, "<details><summary>{}</summary>", lang.every_part());
    for (source, lines) in &view.lines {
        let _ = write!(page, "<h3>{}</h3><table>", shown(source));
        for line in lines {
            let _ = write!(
                page,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                shown(&line.subject),
                if line.healthy { "up" } else { "down" },
                shown(&line.state),
                shown(line.detail.as_deref().unwrap_or_default()),
            );
        }
        page.push_str("</table>");
    }
    page.push_str("</details>");
}

/// Upstream text on the page: HTML-escaped, and without the escape sequences and control
/// characters a terminal would obey when someone reads the page with `curl`.
pub fn shown(text: &str) -> String {
    encode_text(&sanitize_for_terminal(text)).into_owned()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::catalog::Severity;
    use crate::join::pipeline::tests::seen_healthy;
    use crate::join::pipeline::{self, Part};
    use crate::status::model::judge;

    const HOSTILE: &str = "<script>alert(1)</script>\u{1b}[2J\"'";

    fn view(name: &str, findings: Vec<Finding>) -> View {
        let mut seen = seen_healthy();
        let Part::Connector(connector) = &mut seen[0].parts[0] else { unreachable!() };
        connector.name = name.to_owned();
        let settings = Settings::default();
        let now = SystemTime::now();
        let pipelines =
            pipeline::pipelines(&seen).iter().map(|found| judge(found, &findings, &settings, now)).collect();
        View { pipelines, findings, sources: vec![], lines: vec![], now }
    }

    #[test]
    fn upstream_text_is_escaped_everywhere_and_nothing_loads_from_elsewhere() {
        let finding = Finding {
            severity: Severity::Critical,
            subject: format!("connect dc1 / connector {HOSTILE} / task 0"),
            problem: format!("the task is FAILED: {HOSTILE}"),
            runbook: crate::catalog::Anchor::S1Restart.id(),
            actions: vec![format!("curl -X POST '{HOSTILE}'")],
        };
        let page = html(&view(HOSTILE, vec![finding]), &Settings::default(), Lang::En);
        assert!(!page.contains("<script") && !page.contains('\u{1b}'), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
        assert!(page.contains("data-connector=\"&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"15\">"));
        assert!(page.contains("href=\"docs/runbook.md#s1-step-2-restart\""), "{page}");
        assert!(!page.contains("src=") && !page.contains("@import") && !page.contains("url("), "nothing external");
        assert!(page.contains("data-stage=\"connector\" data-health=\"critical\""), "a finding raises the box");
    }

    #[test]
    fn the_page_reads_in_korean() {
        let page = html(&view("billing", vec![]), &Settings::default(), Lang::Ko);
        assert!(
            page.contains("<html lang=\"ko\">")
                && page.contains("복제 슬롯")
                && page.contains("조치할 항목이 없습니다")
        );
        assert!(page.contains("<a href=\"?lang=en\""));
    }

    #[test]
    fn a_cause_section_is_linked_by_its_cause_and_a_step_by_its_title() {
        let finding = |runbook: &'static str| Finding {
            severity: Severity::Critical,
            subject: "connect dc1 / connector billing / task 0".to_owned(),
            problem: "the task is FAILED".to_owned(),
            runbook,
            actions: vec![],
        };
        let cause = FailureCause::PublicationMissing.anchor();
        let page = html(&view("billing", vec![finding(cause)]), &Settings::default(), Lang::En);
        assert!(page.contains("#cause-publication_missing\">failure cause: publication_missing</a>"), "{page}");
        let page = html(&view("billing", vec![finding(cause)]), &Settings::default(), Lang::Ko);
        assert!(page.contains(">실패 원인: publication_missing</a>"), "{page}");
        let step = Anchor::S1Restart;
        let page = html(&view("billing", vec![finding(step.id())]), &Settings::default(), Lang::En);
        assert!(page.contains(&format!(">{}</a>", encode_text(step.title()))), "{page}");
    }
}
