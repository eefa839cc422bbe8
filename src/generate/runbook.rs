//! docs/runbook.md: the seed runbook (Korean, with its English translation beside it) and one
//! section per alert. Every anchor an alert links to is defined here, so none can dangle.

use super::promql::duration;
use super::recording::Recording;
use super::rules::Alert;

/// The seed runbook with stable `<a id>` anchors, one per incident and step.
const SEED: &str = include_str!("runbook/seed.md");

/// A step of the seed runbook an alert can send people to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Scenario 1's symptoms, among them events piling up in the outbox.
    S1Symptoms,
    S1Logs,
    S1Restart,
    S1Reset,
    /// Step 3b: deleting Connect's internal topics, which the exporter watches for.
    S1InternalTopics,
    S1ReplicationSlot,
    S1Recreate,
    S2Register,
    /// Scenario 2's check that the new module has consumed everything.
    S2Verify,
    /// Scenario 2's switch to streaming, where `initial_only` stops a connector after its snapshot.
    S2Streaming,
    /// The runbook's monitoring section: the streaming lag and failed records to watch.
    Monitoring,
}

impl Anchor {
    pub const ALL: [Anchor; 11] = [
        Anchor::S1Symptoms,
        Anchor::S1Logs,
        Anchor::S1Restart,
        Anchor::S1Reset,
        Anchor::S1InternalTopics,
        Anchor::S1ReplicationSlot,
        Anchor::S1Recreate,
        Anchor::S2Register,
        Anchor::S2Verify,
        Anchor::S2Streaming,
        Anchor::Monitoring,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Anchor::S1Symptoms => "scenario-1-connector-failed",
            Anchor::S1Logs => "s1-step-1-logs",
            Anchor::S1Restart => "s1-step-2-restart",
            Anchor::S1Reset => "s1-step-3-reset",
            Anchor::S1InternalTopics => "s1-step-3b-internal-topics",
            Anchor::S1ReplicationSlot => "s1-step-3c-replication-slot",
            Anchor::S1Recreate => "s1-step-3d-recreate",
            Anchor::S2Register => "s2-step-2-register",
            Anchor::S2Verify => "s2-step-3-verify",
            Anchor::S2Streaming => "s2-step-4-streaming",
            Anchor::Monitoring => "monitoring",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Anchor::S1Symptoms => {
                "시나리오 1: 장애 현상 (Outbox 테이블에 이벤트가 쌓임) / Scenario 1: symptoms (events pile up in the outbox)"
            }
            Anchor::S1Logs => "시나리오 1, 1단계: 커넥터 로그 확인 / Scenario 1, step 1: read the connector's log",
            Anchor::S1Restart => "시나리오 1, 2단계: 커넥터 재시작 / Scenario 1, step 2: restart the connector",
            Anchor::S1Reset => {
                "시나리오 1, 3단계: 토픽 및 오프셋 초기화 / Scenario 1, step 3: reset topics and offsets"
            }
            Anchor::S1InternalTopics => {
                "시나리오 1, 3-b단계: 내부 토픽 삭제 / Scenario 1, step 3b: delete the internal topics"
            }
            Anchor::S1ReplicationSlot => {
                "시나리오 1, 3-c단계: 복제 슬롯 재설정 / Scenario 1, step 3c: reset the replication slot"
            }
            Anchor::S1Recreate => {
                "시나리오 1, 3-d단계: 커넥터 재등록 / Scenario 1, step 3d: register the connector again"
            }
            Anchor::S2Register => {
                "시나리오 2, 2단계: 스냅샷 커넥터 등록 / Scenario 2, step 2: register the snapshot connector"
            }
            Anchor::S2Verify => "시나리오 2, 3단계: 데이터 동기화 확인 / Scenario 2, step 3: check the synchronization",
            Anchor::S2Streaming => {
                "시나리오 2, 4단계: 실시간 CDC 모드로 전환 / Scenario 2, step 4: switch to streaming CDC"
            }
            Anchor::Monitoring => "모니터링 및 알림 설정 / Monitoring and alerting",
        }
    }
}

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
    text.push_str(&super::recording::markdown_table(recordings));
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
