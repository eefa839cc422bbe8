//! What a person should know about one Connect cluster: findings for `check` (with runbook
//! anchors and the commands to paste) and the landing page's status lines.

use super::model::{ConnectCluster, Trace};
use super::remedy;
use crate::catalog::{Anchor, FailureCause, Severity, State};
use crate::join::Facts;
use crate::join::pipeline::{ConnectorPart, DebeziumKeys, Part};
use crate::snapshot::{Finding, StatusLine};
use crate::text::{percent_encode_segment, shell_quote};

/// The `snapshot.mode` that snapshots and then stops: such a connector never streams, by design.
const SNAPSHOT_ONLY: &str = "initial_only";

/// A line per connector and per task, then one per skipped connector.
pub(super) fn summary(polled: &ConnectCluster) -> Vec<StatusLine> {
    let mut lines = Vec::new();
    for connector in &polled.connectors {
        let mut line = status_line(connector.name.clone(), connector.state, connector.trace.as_ref());
        line.part = Some(Part::Connector(ConnectorPart {
            name: connector.name.clone(),
            state: connector.state,
            tasks: connector.tasks.iter().map(|task| (task.id, task.state)).collect(),
            debezium: connector.debezium.as_ref().map(|debezium| DebeziumKeys {
                database: debezium.database.clone(),
                slot: debezium.slot.clone(),
                topic_prefix: debezium.topic_prefix.clone(),
                outbox: debezium.outbox.clone(),
            }),
        }));
        lines.push(line);
        for task in &connector.tasks {
            lines.push(status_line(format!("{}/task-{}", connector.name, task.id), task.state, task.trace.as_ref()));
        }
    }
    for skipped in &polled.skipped {
        lines.push(StatusLine {
            subject: skipped.name.clone(),
            state: "unreadable".to_owned(),
            healthy: false,
            detail: Some(format!("left out of the metrics: {}", skipped.reason)),
            part: None,
        });
    }
    lines
}

/// Each connector and task that needs a person, with what to run.
pub(super) fn findings(polled: &ConnectCluster, cluster: &str, facts: &Facts) -> Vec<Finding> {
    let mut findings = Vec::new();
    for connector in &polled.connectors {
        let name = &connector.name;
        let subject = format!("connect {cluster} / connector {name}");
        // The name is whatever whoever created the connector chose: quoted for the shell,
        // and percent-encoded inside URLs, so a pasted command only ever names it.
        let log = format!(
            "Read the worker's log around the failure (runbook step 1): grep -F -- {} <connect worker log>",
            shell_quote(name)
        );
        let restart = command_url(polled, name, "restart?includeTasks=true&onlyFailed=true");
        // Per failure: its cause, the fix with this pipeline's names, whether a restart helps.
        let failure = |what: &str, trace: Option<&Trace>, subject: String| {
            let cause = trace.map_or(FailureCause::Unknown, |trace| trace.cause);
            let mut actions = vec![log.clone()];
            actions.extend(remedy::actions(cause, connector, cluster, facts, &restart));
            Finding {
                severity: Severity::Critical,
                subject,
                problem: failed(what, cause, trace),
                runbook: cause.anchor(),
                actions,
            }
        };
        match connector.state {
            Some(State::Failed) => {
                findings.push(failure("the connector is FAILED", connector.trace.as_ref(), subject.clone()))
            }
            Some(state @ (State::Paused | State::Unassigned | State::Restarting)) => findings.push(Finding {
                severity: Severity::Warning,
                subject: subject.clone(),
                problem: format!("the connector is {}: nothing is streamed", state.label().to_uppercase()),
                runbook: Anchor::S1Restart.id(),
                actions: match state {
                    State::Paused => vec![format!(
                        "Resume it if the pause was not deliberate: curl -X PUT {}",
                        command_url(polled, name, "resume")
                    )],
                    _ => vec![
                        log.clone(),
                        "Check that every Connect worker of the group is up and not rebalancing in a loop".to_owned(),
                    ],
                },
            }),
            Some(State::Running) => {
                // Connect says RUNNING, but Debezium is not streaming: PostgreSQL went away and
                // the task waits to retry with its MBeans unregistered, or it loops on decode
                // errors (tests/scenario_postgres_down.rs, tests/scenarios.rs).
                let stuck = connector.debezium.as_ref().is_some_and(|debezium| {
                    facts.jmx.complete() && !facts.jmx.streaming(cluster, &debezium.topic_prefix)
                });
                let task_failed = connector.tasks.iter().any(|task| task.state == Some(State::Failed));
                let snapshot_only = connector
                    .debezium
                    .as_ref()
                    .is_some_and(|debezium| debezium.snapshot_mode.as_deref() == Some(SNAPSHOT_ONLY));
                if stuck && !task_failed && snapshot_only {
                    findings.push(Finding {
                        severity: Severity::Critical,
                        subject: subject.clone(),
                        problem: format!(
                            "Connect reports RUNNING but Debezium is not streaming: snapshot.mode is \
                             {SNAPSHOT_ONLY}, which stops after the snapshot by design"
                        ),
                        runbook: Anchor::S2Streaming.id(),
                        actions: vec![format!(
                            "To capture changes, set snapshot.mode to no_data (formerly never) and update the \
                             connector: curl -X PUT -H 'Content-Type: application/json' \
                             {} -d @<its config>",
                            command_url(polled, name, "config")
                        )],
                    });
                } else if stuck && !task_failed {
                    findings.push(Finding {
                        severity: Severity::Critical,
                        subject: subject.clone(),
                        problem: "Connect reports RUNNING but Debezium is not streaming: no connected streaming \
                                  MBean on any JMX bridge"
                            .to_owned(),
                        runbook: Anchor::S1Logs.id(),
                        actions: vec![
                            log.clone(),
                            "Check that the database is reachable from the worker and that the slot is active"
                                .to_owned(),
                        ],
                    });
                }
            }
            _ => {}
        }
        for task in connector.tasks.iter().filter(|task| task.state == Some(State::Failed)) {
            findings.push(failure("the task is FAILED", task.trace.as_ref(), format!("{subject} / task {}", task.id)));
        }
    }
    findings
}

fn failed(what: &str, cause: FailureCause, trace: Option<&Trace>) -> String {
    let why = format!("{what}, cause {}: {}", cause.label(), cause.meaning());
    match trace {
        Some(Trace { head, root_cause: Some(root), .. }) => format!("{why}. Trace: {head} ({root})"),
        Some(Trace { head, root_cause: None, .. }) => format!("{why}. Trace: {head}"),
        None => why,
    }
}

/// A landing-page line; a failure shows its trace's first line and its root cause.
fn status_line(subject: String, state: Option<State>, trace: Option<&Trace>) -> StatusLine {
    StatusLine {
        subject,
        state: state.map_or("unknown", State::label).to_owned(),
        healthy: matches!(state, Some(State::Running | State::Paused | State::Stopped)),
        detail: trace.map(|trace| match &trace.root_cause {
            Some(cause) => format!("{} — {cause}", trace.head),
            None => trace.head.clone(),
        }),
        part: None,
    }
}

/// `REST/connectors/NAME/rest` as one shell word for the commands `check` prints, the
/// name percent-encoded.
fn command_url(polled: &ConnectCluster, name: &str, rest: &str) -> String {
    shell_quote(&format!("{}/connectors/{}/{rest}", polled.rest_url, percent_encode_segment(name)))
}

#[cfg(test)]
mod tests {
    use crate::catalog::{Anchor, Severity};
    use crate::join::Facts;
    use crate::snapshot::{Finding, Observation};
    use crate::sources::connect::parse::tests::cluster;

    #[test]
    fn findings_name_the_failed_task_its_trace_and_the_restart_command() {
        assert!(cluster("expand-running.json").findings("dc1", &Facts::default()).is_empty());

        let mut state = cluster("expand-task-failed.json");
        state.rest_url = "http://connect:8083".into();
        let findings = state.findings("dc1", &Facts::default());
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.subject, "connect dc1 / connector billing / task 0");
        assert!(finding.problem.contains("ConnectException"), "{}", finding.problem);
        assert!(finding.problem.contains("cause publication_missing"), "{}", finding.problem);
        assert_eq!(finding.runbook, "cause-publication_missing");
        let create = r#"psql -d 'inventory' -c 'CREATE PUBLICATION "dbz_publication" FOR TABLE "public"."outbox"'"#;
        assert!(finding.actions.iter().any(|action| action.contains(create)), "{:?}", finding.actions);
        assert!(finding.actions.iter().any(|action| action.contains(
            "curl -X POST 'http://connect:8083/connectors/billing/restart?includeTasks=true&onlyFailed=true'"
        )));

        let paused = cluster("expand-paused.json").findings("dc1", &Facts::default());
        assert_eq!(paused.len(), 1);
        assert_eq!(paused[0].severity, Severity::Warning);
        assert!(paused[0].actions[0].contains("/connectors/inventory/resume"), "{:?}", paused[0].actions);
    }

    /// A name as Connect accepts it from whoever may create connectors.
    const HOSTILE: &str = "x'; touch /tmp/PWNED; echo '";

    /// The command after `prefix` in one of `finding`'s actions, up to `end`.
    fn command<'a>(finding: &'a Finding, prefix: &str, end: &str) -> &'a str {
        let action = finding.actions.iter().find_map(|action| action.split_once(prefix)).map(|(_, rest)| rest);
        let action = action.unwrap_or_else(|| panic!("no `{prefix}` in {:?}", finding.actions));
        action.split(end).next().unwrap()
    }

    #[test]
    fn printed_commands_pass_a_hostile_connector_name_as_one_encoded_word() {
        let mut state = cluster("expand-task-failed.json");
        state.rest_url = "http://connect:8083".into();
        state.connectors.iter_mut().find(|connector| connector.name == "billing").unwrap().name = HOSTILE.into();
        let findings = state.findings("dc1", &Facts::default());
        let encoded = "x%27%3B%20touch%20%2Ftmp%2FPWNED%3B%20echo%20%27";
        let restart = crate::text::tests::shell_words(command(&findings[0], "step 2): ", "\n"));
        let url = format!("http://connect:8083/connectors/{encoded}/restart?includeTasks=true&onlyFailed=true");
        assert_eq!(restart, ["curl", "-X", "POST", url.as_str()]);
        let grep = crate::text::tests::shell_words(command(&findings[0], "step 1): ", " <"));
        assert_eq!(grep, ["grep", "-F", "--", HOSTILE]);

        let mut paused = cluster("expand-paused.json");
        paused.rest_url = "http://connect:8083".into();
        paused.connectors.iter_mut().find(|connector| connector.name == "inventory").unwrap().name = HOSTILE.into();
        let resume =
            crate::text::tests::shell_words(command(&paused.findings("dc1", &Facts::default())[0], ": ", "\n"));
        assert_eq!(resume, ["curl", "-X", "PUT", &format!("http://connect:8083/connectors/{encoded}/resume")]);

        let mut stuck = cluster("expand-running.json");
        stuck.rest_url = "http://connect:8083".into();
        let billing = stuck.connectors.iter_mut().find(|connector| connector.name == "billing").unwrap();
        billing.debezium.as_mut().unwrap().snapshot_mode = Some("initial_only".into());
        billing.name = HOSTILE.into();
        let finding = &stuck.findings("dc1", &one_bridge_streaming_inventory())[0];
        let update = crate::text::tests::shell_words(command(finding, "connector: ", " -d @"));
        let config_url = format!("http://connect:8083/connectors/{encoded}/config");
        assert_eq!(update, ["curl", "-X", "PUT", "-H", "Content-Type: application/json", config_url.as_str()]);
    }

    /// One JMX bridge, answering, on which only the `inventory` connector streams.
    fn one_bridge_streaming_inventory() -> Facts {
        let mut facts = Facts::default();
        facts.jmx.bridges_configured = 1;
        facts.jmx.bridges_up = 1;
        facts.jmx.streaming.push(crate::join::StreamingBean {
            cluster: None,
            server: "inventory".into(),
            connected: true,
        });
        facts
    }

    #[test]
    fn running_but_not_streaming_is_reported_as_stuck() {
        let state = cluster("expand-running.json");
        let mut facts = one_bridge_streaming_inventory();
        let findings = state.findings("dc1", &facts);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].subject, "connect dc1 / connector billing");
        assert!(findings[0].problem.contains("not streaming"));
        facts.jmx.bridges_up = 0;
        assert!(state.findings("dc1", &facts).is_empty(), "a bridge that is down proves nothing");
    }

    #[test]
    fn a_snapshot_only_connector_is_stuck_by_its_own_setting() {
        let mut state = cluster("expand-running.json");
        state.rest_url = "http://connect:8083".into();
        let billing = state.connectors.iter_mut().find(|connector| connector.name == "billing").unwrap();
        billing.debezium.as_mut().unwrap().snapshot_mode = Some("initial_only".into());
        let facts = one_bridge_streaming_inventory();
        let findings = state.findings("dc1", &facts);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].problem.contains("snapshot.mode is initial_only"), "{}", findings[0].problem);
        assert_eq!(findings[0].runbook, Anchor::S2Streaming.id());
        assert!(findings[0].actions[0].contains("'http://connect:8083/connectors/billing/config'"));
    }
}
