//! The page's own words in English and Korean (methods of the shared [`Lang`]). Upstream text (names, traces) and the findings
//! `check` prints stay as they are: the findings are the same text in both languages.

use std::time::Duration;

use super::model::{Figure, Health, Note, StageKind};
use crate::catalog::{Lang, State, bytes_text};

impl Lang {
    fn pick(self, en: &'static str, ko: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }

    pub fn title(self) -> &'static str {
        self.pick("Debezium pipelines", "Debezium 파이프라인")
    }

    pub fn stage(self, stage: StageKind) -> &'static str {
        match stage {
            StageKind::Outbox => self.pick("Outbox table", "아웃박스 테이블"),
            StageKind::Slot => self.pick("Replication slot", "복제 슬롯"),
            StageKind::Connector => self.pick("Connector and tasks", "커넥터와 태스크"),
            StageKind::Topics => self.pick("Kafka topics", "Kafka 토픽"),
            StageKind::Groups => self.pick("Consumer groups", "컨슈머 그룹"),
        }
    }

    pub fn health(self, health: Health) -> &'static str {
        match health {
            Health::Ok => self.pick("ok", "정상"),
            Health::Warning => self.pick("warning", "경고"),
            Health::Critical => self.pick("critical", "위험"),
            Health::Unknown => self.pick("unknown", "알 수 없음"),
        }
    }

    pub fn note(self, note: Note) -> &'static str {
        match note {
            Note::NotSeen => self.pick("not found by the exporter", "익스포터가 찾지 못함"),
            Note::CannotTell => self.pick(
                "cannot tell: its source is down or not configured",
                "알 수 없음: 소스가 응답하지 않거나 설정되지 않음",
            ),
            Note::NoOutbox => {
                self.pick("no outbox: the connector captures tables", "아웃박스 없음: 커넥터가 테이블을 직접 캡처")
            }
        }
    }

    pub fn figure(self, figure: &Figure) -> String {
        let ko = self == Lang::Ko;
        match figure {
            Figure::Rows(rows) if ko => format!("{rows}행"),
            Figure::Rows(1) => "1 row".to_owned(),
            Figure::Rows(rows) => format!("{rows} rows"),
            Figure::OldestAge(age) if ko => format!("가장 오래된 이벤트 {}", self.duration(*age)),
            Figure::OldestAge(age) => format!("oldest {} old", self.duration(*age)),
            Figure::SlotLag(bytes) if ko => format!("지연 {}", bytes_text(*bytes)),
            Figure::SlotLag(bytes) => format!("lag {}", bytes_text(*bytes)),
            Figure::Retained(bytes) if ko => format!("WAL {} 보존", bytes_text(*bytes)),
            Figure::Retained(bytes) => format!("retains {} of WAL", bytes_text(*bytes)),
            Figure::Inactive => self.pick("inactive", "비활성").to_owned(),
            Figure::WalStatus(status) => format!("wal_status {status}"),
            Figure::State(state) => state.map_or("UNKNOWN", State::label).to_uppercase(),
            Figure::TasksRunning { running, total } if ko => format!("태스크 {running}/{total} 실행 중"),
            Figure::TasksRunning { running, total } => format!("{running}/{total} tasks running"),
            Figure::Task { id, state } if ko => {
                format!("태스크 {id}: {}", state.map_or("UNKNOWN", State::label).to_uppercase())
            }
            Figure::Task { id, state } => {
                format!("task {id}: {}", state.map_or("UNKNOWN", State::label).to_uppercase())
            }
            Figure::BehindSource(ms) if ko => format!("소스 대비 {ms:.0} ms 지연"),
            Figure::BehindSource(ms) => format!("{ms:.0} ms behind the source"),
            Figure::SinceLastEvent(age) if ko => format!("마지막 이벤트 {} 전", self.duration(*age)),
            Figure::SinceLastEvent(age) => format!("last event {} ago", self.duration(*age)),
            Figure::NotStreaming => self.pick("not streaming", "스트리밍 안 함").to_owned(),
            Figure::NewestAge(age) if ko => format!("최신 레코드 {} 전", self.duration(*age)),
            Figure::NewestAge(age) => format!("newest record {} ago", self.duration(*age)),
            Figure::NoRecord => self.pick("no record read", "읽은 레코드 없음").to_owned(),
            Figure::GroupLag(lag) if ko => format!("지연 {lag}건"),
            Figure::GroupLag(lag) => format!("lag {lag}"),
        }
    }

    /// `42 s`, `3 min`, `5 h` (`42초`, `3분`, `5시간`).
    pub fn duration(self, age: Duration) -> String {
        let seconds = age.as_secs();
        let (value, en, ko) = match seconds {
            0..120 => (seconds, "s", "초"),
            120..7200 => (seconds / 60, "min", "분"),
            _ => (seconds / 3600, "h", "시간"),
        };
        match self {
            Lang::En => format!("{value} {en}"),
            Lang::Ko => format!("{value}{ko}"),
        }
    }

    pub fn findings(self) -> &'static str {
        self.pick("What needs attention", "조치가 필요한 항목")
    }

    pub fn nothing(self) -> &'static str {
        self.pick("Nothing needs attention.", "조치할 항목이 없습니다.")
    }

    /// The link text of a failure cause's runbook section.
    pub fn failure_cause(self) -> &'static str {
        self.pick("failure cause", "실패 원인")
    }

    pub fn runbook(self) -> &'static str {
        self.pick("runbook", "런북")
    }

    pub fn no_pipeline(self) -> &'static str {
        self.pick("No Debezium connector seen.", "Debezium 커넥터가 보이지 않습니다.")
    }

    pub fn sources(self) -> &'static str {
        self.pick("Sources", "소스")
    }

    pub fn source_state(self, polled: bool, up: bool) -> &'static str {
        match (polled, up) {
            (false, _) => self.pick("not polled yet", "아직 폴링 전"),
            (true, true) => self.pick("up", "응답함"),
            (true, false) => self.pick("down", "응답 없음"),
        }
    }

    pub fn last_success(self, since: Option<Duration>) -> String {
        match since {
            Some(age) if self == Lang::Ko => format!("마지막 성공 {} 전", self.duration(age)),
            Some(age) => format!("last success {} ago", self.duration(age)),
            None => self.pick("never succeeded", "성공한 적 없음").to_owned(),
        }
    }

    pub fn every_part(self) -> &'static str {
        self.pick("Every part seen, by source", "소스별로 관찰된 모든 항목")
    }

    pub fn refreshes(self, every: Duration, at: &str) -> String {
        match self {
            Lang::En => format!("As of {at}; refreshes every {}.", self.duration(every)),
            Lang::Ko => format!("{at} 기준, {}마다 새로 고침.", self.duration(every)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_in_both_languages() {
        assert_eq!(Lang::En.figure(&Figure::Retained(3.0 * 1024.0 * 1024.0)), "retains 3 MiB of WAL");
        assert_eq!(Lang::Ko.figure(&Figure::OldestAge(Duration::from_secs(180))), "가장 오래된 이벤트 3분");
        assert_eq!(Lang::En.duration(Duration::from_secs(3 * 3600)), "3 h");
    }
}
