//! docs/runbook.md: the seed runbook (Korean, with its English translation beside it) and one
//! section per alert. Every anchor an alert links to is defined here, so none can dangle.

use super::promql::duration;
use super::recording::{self, Recording};
use super::rules::Alert;

/// The seed runbook with stable `<a id>` anchors, one per incident and step.
const SEED: &str = include_str!("runbook/seed.md");

/// The whole of docs/runbook.md. `dashboard_url` is where each alert's panel lives.
pub fn render(alerts: &[Alert], recordings: &[Recording], dashboard_url: impl Fn(&Alert) -> String) -> String {
    let mut text = String::from(SEED);
    text.push_str("\n---\n\n<a id=\"alerts\"></a>\n## 알림별 대응 / What to do for each alert\n");
    text.push_str(
        "\n각 알림의 `runbook_url`은 아래 해당 절을 가리킵니다. / Each alert's `runbook_url` points to its section below.\n",
    );
    for alert in alerts {
        text.push_str(&format!("\n<a id=\"{}\"></a>\n### {}\n\n", alert.anchor(), alert.name));
        text.push_str(&format!(
            "- severity: `{}`, for: `{}`\n- expr: `{}`\n- dashboard: <{}>\n",
            alert.severity.as_str(),
            duration(alert.for_),
            alert.expr,
            dashboard_url(alert)
        ));
        text.push_str(&format!("\n**{}**\n\n{}\n\n{}\n", alert.summary.ko, alert.description.ko, alert.runbook.ko));
        text.push_str(&format!("\n**{}**\n\n{}\n\n{}\n", alert.summary.en, alert.description.en, alert.runbook.en));
        if !alert.steps.is_empty() {
            text.push_str("\n단계 / Steps:\n\n");
            for step in alert.steps {
                text.push_str(&format!("- [{}](#{})\n", step.title(), step.id()));
            }
        }
    }
    text.push_str("\n<a id=\"recording-rules\"></a>\n## 기록 규칙 / Recording rules\n\n");
    text.push_str(
        "위 식에서 `level:metric:operations` 형식의 이름은 규칙 파일의 첫 그룹이 미리 계산해 두는 시계열입니다. \
         / Names of the form `level:metric:operations` in the expressions above are series the rule file's first group precomputes.\n\n",
    );
    text.push_str(&recording::markdown_table(recordings));
    text
}

/// The alerts with their defaults as a Markdown table for the README: each links to its
/// section of docs/runbook.md and to the seed runbook's steps it sends people to.
pub fn markdown_table(alerts: &[Alert]) -> String {
    let link = |id: &str| format!("[{id}](docs/runbook.md#{id})");
    let mut table = String::from(
        "| alert | severity | for | muted by a failed connector or task | runbook | steps |\n|---|---|---|---|---|---|\n",
    );
    for alert in alerts {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            alert.name,
            alert.severity.as_str(),
            duration(alert.for_),
            if alert.muted_by_failed_connector { "yes" } else { "no" },
            link(&alert.anchor()),
            alert.steps.iter().map(|step| link(step.id())).collect::<Vec<_>>().join(", "),
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Anchor;

    #[test]
    fn every_step_anchor_is_in_the_seed_once() {
        for anchor in Anchor::ALL {
            let tag = format!("<a id=\"{}\"></a>", anchor.id());
            assert_eq!(SEED.matches(&tag).count(), 1, "{tag}");
        }
    }

    #[test]
    fn the_seed_keeps_the_korean_original() {
        assert!(SEED.contains("커넥터가 1분 이상 FAILED 상태입니다. 즉시 확인이 필요합니다."));
        assert!(SEED.contains("curl -X POST http://localhost:8083/connectors/outbox-connector/restart"));
    }
}
