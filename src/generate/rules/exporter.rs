//! The exporter itself (rule group `debezium-exporter.self`): a source it cannot poll, or
//! Prometheus not scraping it at all. While either fires, the alerts built on the missing
//! metrics cannot.

use std::time::Duration;

use super::model::{Alert, Example};
use crate::catalog::{self, Severity};
use crate::config::generate::Settings;
use crate::generate::fixture::{CLUSTER, EXPORTER_INSTANCE, constant, scraped, scraped_labels};
use crate::generate::lang::{Text, duration_en, duration_ko};
use crate::generate::panel::PanelId;
use crate::generate::promql::{PROMETHEUS_UP, Selector};

/// The group's alerts, in file order.
pub fn alerts(settings: &Settings) -> Vec<Alert> {
    vec![debezium_exporter_source_down(settings), debezium_exporter_absent(settings)]
}

fn debezium_exporter_source_down(settings: &Settings) -> Alert {
    let source_up = |value| {
        let selector = Selector::of(&catalog::SOURCE_UP).eq("source", "connect").eq("target", CLUSTER);
        vec![constant(scraped(selector, settings), value)]
    };
    Alert {
        name: "DebeziumExporterSourceDown",
        expr: format!("{} == 0", Selector::of(&catalog::SOURCE_UP)),
        for_: settings.source_down_for,
        severity: Severity::Warning,
        summary: Text::new(
            "debezium-exporter가 {{ $labels.source }} 소스를 읽지 못함 ({{ $labels.target }})",
            "debezium-exporter cannot read its {{ $labels.source }} source ({{ $labels.target }})",
        ),
        description: Text::new(
            format!(
                "{} 이상 {{{{ $labels.target }}}} 수집이 실패하고 있습니다. 이 소스의 메트릭이 없으므로 그에 기반한 알림도 울리지 않습니다.",
                duration_ko(settings.source_down_for)
            ),
            format!(
                "Polls of {{{{ $labels.target }}}} have been failing for more than {}. Its metrics are missing, so the alerts built on them cannot fire.",
                duration_en(settings.source_down_for)
            ),
        ),
        runbook: Text::new(
            "exporter의 첫 페이지(`/`)에 소스별 마지막 오류가 나옵니다. `debezium_exporter_poll_errors_total`의 `reason` 라벨(timeout, connect, http_status, decode, too_large, query)이 원인의 종류를 알려줍니다. 대상 서버가 살아 있는지, 주소와 인증 정보가 맞는지 확인하세요.",
            "The exporter's landing page (`/`) shows each source's last error. The `reason` label of `debezium_exporter_poll_errors_total` (timeout, connect, http_status, decode, too_large, query) says what kind of failure it is. Check that the upstream is up and that the address and credentials are right.",
        ),
        steps: &[],
        panel: PanelId::SOURCE_HEALTH,
        muted_by_failed_connector: false,
        example: Example {
            firing: source_up(0),
            labels: scraped_labels(settings, &[("source", "connect"), ("target", CLUSTER)]),
            healthy: source_up(1),
            implies: Vec::new(),
            holds_from: Duration::ZERO,
            variants: Vec::new(),
        },
    }
}

fn debezium_exporter_absent(settings: &Settings) -> Alert {
    let prometheus_up = |value| {
        let selector =
            Selector::of(&PROMETHEUS_UP).eq("job", settings.exporter_job.clone()).eq("instance", EXPORTER_INSTANCE);
        vec![constant(selector, value)]
    };
    Alert {
        name: "DebeziumExporterAbsent",
        expr: format!("absent({} == 1)", Selector::of(&PROMETHEUS_UP).eq("job", settings.exporter_job.clone())),
        for_: settings.exporter_absent_for,
        severity: Severity::Critical,
        summary: Text::new(
            format!("Prometheus가 debezium-exporter를 수집하지 못함 (job {})", settings.exporter_job),
            format!("Prometheus cannot scrape debezium-exporter (job {})", settings.exporter_job),
        ),
        description: Text::new(
            format!(
                "{} 이상 성공한 수집이 없습니다. 이 상태에서는 CDC 파이프라인의 어떤 알림도 울리지 않으므로, 조용하다고 정상인 것이 아닙니다.",
                duration_ko(settings.exporter_absent_for)
            ),
            format!(
                "No scrape has succeeded for more than {}. No alert about the CDC pipeline can fire meanwhile: silence does not mean health.",
                duration_en(settings.exporter_absent_for)
            ),
        ),
        runbook: Text::new(
            "exporter 프로세스(또는 파드)가 떠 있는지, Prometheus의 Targets 화면에서 이 job의 대상이 보이는지, 스크레이프 오류가 무엇인지 확인하세요.",
            "Check that the exporter process (or pod) is running, that Prometheus's Targets page lists this job's target, and what the scrape error is.",
        ),
        steps: &[],
        panel: PanelId::SOURCE_HEALTH,
        muted_by_failed_connector: false,
        example: Example {
            firing: prometheus_up(0),
            labels: Vec::new(),
            healthy: prometheus_up(1),
            implies: Vec::new(),
            holds_from: Duration::ZERO,
            variants: Vec::new(),
        },
    }
}
