//! The runbook's steps that alerts and findings link to. docs/runbook.md defines every anchor
//! here (generate/runbook.rs renders it), so none can dangle.

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

    /// The step's heading in the runbook, in Korean and English.
    pub fn title(self) -> &'static str {
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
