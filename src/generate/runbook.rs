//! docs/runbook.md: the seed runbook (Korean, with its English translation beside it) and one
//! section per alert. Every anchor an alert links to is defined here, so none can dangle.

use super::promql::duration;
use super::recording::{self, Recording};
use super::rules::Alert;
use crate::catalog::{self, Anchor, FailureCause, Restart};

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
    text.push_str(&causes());
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

/// One section per failure cause: what it means, what `check` prints, whether a restart
/// helps; then how to route on `cause` in Alertmanager.
fn causes() -> String {
    let mut text =
        String::from("\n<a id=\"failure-causes\"></a>\n## 실패 원인별 대응 / What to do for each failure cause\n\n");
    text.push_str(&format!(
        "FAILED 태스크와 커넥터마다 `{}` / `{}` 시계열이 trace에서 읽은 원인을 `cause` 레이블로 보여 주고, \
         `DebeziumTaskFailed`·`DebeziumConnectorFailed` 알림이 그 레이블을 이어받습니다. `debezium-exporter check`는 \
         원인별로 이 파이프라인의 이름(발행, 테이블, 역할, 슬롯, 슬롯을 잡은 프로세스)을 넣은 해결 명령을 출력합니다. \
         / Every FAILED task and connector has a `{}` / `{}` series whose `cause` label is read from its trace, and the \
         `DebeziumTaskFailed` and `DebeziumConnectorFailed` alerts carry that label. `debezium-exporter check` prints \
         each cause's fix with this pipeline's names (publication, tables, role, slot, the process holding it).\n",
        catalog::TASK_FAILURE_CAUSE.name,
        catalog::CONNECTOR_FAILURE_CAUSE.name,
        catalog::TASK_FAILURE_CAUSE.name,
        catalog::CONNECTOR_FAILURE_CAUSE.name,
    ));
    for cause in FailureCause::ALL {
        let (ko, en, steps) = cause_text(cause);
        text.push_str(&format!("\n<a id=\"{}\"></a>\n### `{}`\n\n", cause.anchor(), cause.label()));
        text.push_str(&format!("{ko}\n\n{en} ({}.)\n\n", cause.meaning()));
        text.push_str(match cause.restart() {
            Restart::Helps => "재시작: 원인이 사라진 뒤 재시작하면 됩니다. / Restart: once the cause is gone, a restart is all it takes.\n",
            Restart::AfterFix => "재시작: 위의 조치 뒤에만 도움이 됩니다. 그 전에는 같은 방식으로 실패합니다. / Restart: helps only after the fix above; before it the task fails the same way.\n",
            Restart::Never => "재시작: 도움이 되지 않습니다. 위의 조치 없이는 같은 방식으로 실패합니다. / Restart: cannot help; without the fix above the task fails the same way.\n",
        });
        if !steps.is_empty() {
            text.push_str("\n단계 / Steps:\n\n");
            for step in steps {
                text.push_str(&format!("- [{}](#{})\n", step.title(), step.id()));
            }
        }
    }
    text.push_str(ROUTE_EXAMPLE);
    text
}

/// Routing on `cause` (the alert carries it as a label).
const ROUTE_EXAMPLE: &str = "\n<a id=\"cause-routing\"></a>\n### 원인별 라우팅 / Routing by cause\n\n\
`cause`는 알림의 레이블이므로 Alertmanager에서 원인별로 보낼 수 있습니다. 예: 권한·발행 문제는 DBA에게. \
/ `cause` is a label of the alert, so Alertmanager can route on it; for example, grants and publications to the DBAs:\n\n\
```yaml\nroute:\n  routes:\n    - matchers:\n        - alertname=~\"DebeziumTaskFailed|DebeziumConnectorFailed\"\n        \
- cause=~\"publication_missing|replication_permission|slot_in_use\"\n      receiver: dba\n      continue: true\n```\n\n\
`continue: true` keeps the generated per-severity routes below it. / `continue: true` keeps the generated per-severity routes after it.\n";

/// Korean and English for what to do, and the seed runbook's steps.
fn cause_text(cause: FailureCause) -> (&'static str, &'static str, &'static [Anchor]) {
    match cause {
        FailureCause::PublicationMissing => (
            "커넥터의 `publication.name` 발행이 없습니다. `check`가 출력하는 `CREATE PUBLICATION … FOR TABLE …`(커넥터의 `table.include.list`로 만든 문)을 발행 소유자나 슈퍼유저로 실행한 뒤 재시작하세요. 발행을 실행 중인 커넥터 아래에서 지웠다 다시 만들면 디코딩 오류를 반복하므로, 그 경우에도 재시작이 필요합니다.",
            "The connector's `publication.name` does not exist. Run the `CREATE PUBLICATION … FOR TABLE …` that `check` prints (built from the connector's `table.include.list`) as the publication's owner or a superuser, then restart. A publication dropped and re-created under a running connector makes it loop on decode errors, which needs a restart too",
            &[Anchor::S1Logs, Anchor::S1Restart],
        ),
        FailureCause::ReplicationPermission => (
            "커넥터의 역할(`database.user`)에 REPLICATION 속성이 없습니다. 슈퍼유저로 `check`가 출력하는 `ALTER ROLE … REPLICATION`을 실행한 뒤 재시작하세요.",
            "The connector's role (`database.user`) lacks the REPLICATION attribute. Run the `ALTER ROLE … REPLICATION` that `check` prints as a superuser, then restart",
            &[Anchor::S1Restart],
        ),
        FailureCause::SlotMissing => (
            "복제 슬롯이 없어졌습니다. 재시작하면 Debezium이 슬롯을 다시 만들지만, 슬롯이 지워진 뒤의 변경은 읽히지 않았으므로 새 스냅샷이 필요합니다(3-c, 3-d단계).",
            "The replication slot is gone. A restart makes Debezium create it again, but the changes made after it was dropped were never read: take a new snapshot (steps 3c and 3d)",
            &[Anchor::S1ReplicationSlot, Anchor::S1Recreate],
        ),
        FailureCause::SlotInUse => (
            "다른 프로세스가 슬롯을 잡고 있습니다. `check`가 PostgreSQL이 보고한 `active_pid`와 `pg_stat_replication` 조회문, 같은 슬롯을 쓰는 다른 커넥터를 알려 줍니다. 그 소비자를 멈추거나 커넥터마다 다른 `slot.name`을 준 뒤 재시작하세요.",
            "Another process holds the slot. `check` names the `active_pid` PostgreSQL reports, the `pg_stat_replication` query to see what it is, and any other connector configured with the same slot. Stop that consumer, or give each connector its own `slot.name`, then restart",
            &[Anchor::S1ReplicationSlot, Anchor::S1Restart],
        ),
        FailureCause::SlotInvalidated => (
            "슬롯이 필요한 WAL을 잃었습니다(`wal_status` = `lost`). 그 사이의 변경은 서버에서 사라졌으므로 새 스냅샷만이 빠짐없는 스트림을 되살립니다: 슬롯을 지우고(3-c단계) 새 이름으로 커넥터를 다시 등록하거나, STOPPED 상태에서 오프셋을 초기화하세요(3-d단계).",
            "The slot lost the WAL it needed (`wal_status` = `lost`). The changes in between are gone from the server, so only a new snapshot restores a complete stream: drop the slot (step 3c) and register the connector again under a new name, or reset its offsets while STOPPED (step 3d)",
            &[Anchor::S1ReplicationSlot, Anchor::S1Recreate],
        ),
        FailureCause::DatabaseUnreachable => (
            "태스크가 (재)접속할 때 PostgreSQL에 닿지 못했습니다. Debezium은 한 번 재시도한 뒤 태스크를 FAILED로 두며, PostgreSQL이 돌아와도 스스로 회복하지 않습니다. 데이터베이스를 되살린 뒤 재시작하세요.",
            "PostgreSQL could not be reached when the task (re)connected. Debezium retries once, then leaves the task FAILED, and it does not recover by itself when PostgreSQL returns. Bring the database back, then restart",
            &[Anchor::S1Logs, Anchor::S1Restart],
        ),
        FailureCause::Authentication => (
            "PostgreSQL이 커넥터의 자격 증명을 거부했습니다(비밀번호 교체, `pg_hba.conf` 변경). 커넥터 설정의 `database.password`를 현재 값으로 고치거나(`PUT /connectors/<이름>/config`) `pg_hba.conf`를 확인한 뒤 재시작하세요.",
            "PostgreSQL rejected the connector's credentials (a rotated password, a `pg_hba.conf` change). Put the current password in the connector's `database.password` (`PUT /connectors/<name>/config`) or check `pg_hba.conf`, then restart",
            &[Anchor::S1Logs, Anchor::S1Restart],
        ),
        FailureCause::TransformError => (
            "변환(예: Outbox EventRouter)이 레코드를 거부했고 `errors.tolerance=none`이 태스크를 멈췄습니다. 같은 변경은 재시작할 때마다 다시 읽히므로, 행이나 변환 설정(예: `table.op.invalid.behavior=warn`)을 고치기 전에는 재시작이 소용없습니다.",
            "A transform (the outbox EventRouter, for example) rejected a record and `errors.tolerance=none` stopped the task. The same change is read again on every restart, so restarting is useless until the row or the transform's settings (for example `table.op.invalid.behavior=warn`) are fixed",
            &[Anchor::S1Logs, Anchor::Monitoring],
        ),
        FailureCause::KafkaProduce => (
            "태스크가 Kafka에 레코드를 쓰지 못했습니다(브로커 오류, `max.request.size`/`max.message.bytes`보다 큰 레코드). 브로커와 토픽 한도를 확인한 뒤 재시작하세요.",
            "The task could not write a record to Kafka (broker errors, a record larger than `max.request.size` / `max.message.bytes`). Check the brokers and the topic's limits, then restart",
            &[Anchor::S1Logs, Anchor::S1Restart],
        ),
        FailureCause::OffsetCommit => (
            "워커가 소스 오프셋을 내부 토픽에 쓰지 못했습니다. 내부 토픽(`offset.storage.topic`)이 있고 쓸 수 있는지 확인하세요(3-b단계).",
            "The worker could not commit source offsets to its internal topics. Check that they (`offset.storage.topic`) exist and are writable (step 3b)",
            &[Anchor::S1InternalTopics, Anchor::S1Restart],
        ),
        FailureCause::Unknown => (
            "trace가 알려진 원인 어느 것과도 맞지 않습니다. 워커 로그에서 trace 전체를 읽으세요(1단계).",
            "The trace matches none of the known causes. Read it in full in the worker's log (step 1)",
            &[Anchor::S1Logs, Anchor::S1Restart],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_its_section_once() {
        let text = causes();
        for cause in FailureCause::ALL {
            assert_eq!(text.matches(&format!("<a id=\"{}\"></a>", cause.anchor())).count(), 1, "{cause:?}");
        }
    }

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
