//! Connect's observation: the join keys it shares with the other sources, and its samples.

use super::diagnose;
use super::model::{ConnectCluster, Trace};
use crate::catalog;
use crate::catalog::{FailureCause, State};
use crate::join::{DebeziumConnector, Facts};
use crate::snapshot::{Finding, Observation, Samples, StatusLine};

impl ConnectCluster {
    /// Which Debezium connector reads which slot and server; `current` when this poll's
    /// states may be told too.
    fn share_connectors(&self, cluster: &str, facts: &mut Facts, current: bool) {
        for connector in &self.connectors {
            if let Some(debezium) = &connector.debezium {
                facts.debezium_connectors.push(DebeziumConnector {
                    cluster: cluster.to_owned(),
                    connector: connector.name.clone(),
                    running: current && connector.state == Some(State::Running),
                    database: debezium.database.clone(),
                    slot: debezium.slot.clone(),
                    topic_prefix: debezium.topic_prefix.clone(),
                });
            }
        }
    }
}

impl Observation for ConnectCluster {
    fn share(&self, cluster: &str, facts: &mut Facts) {
        self.share_connectors(cluster, facts, true);
    }

    /// While the cluster does not answer, its connectors still claim their slots and servers
    /// (their state is unknown): the slot and Debezium series keep their labels.
    fn share_last_known(&self, cluster: &str, facts: &mut Facts) {
        self.share_connectors(cluster, facts, false);
    }

    fn render(&self, cluster: &str, facts: &Facts, out: &mut Samples) {
        let tasks = || self.connectors.iter().flat_map(|connector| &connector.tasks);
        for state in State::ALL {
            let connectors = self.connectors.iter().filter(|connector| connector.state == Some(state)).count();
            out.push(&catalog::WORKER_CONNECTOR_COUNT, [cluster, state.label()], connectors as f64);
            let tasks = tasks().filter(|task| task.state == Some(state)).count();
            out.push(&catalog::WORKER_TASK_COUNT, [cluster, state.label()], tasks as f64);
        }
        out.push(&catalog::SKIPPED_CONNECTORS, [cluster], self.skipped.len() as f64);
        for connector in &self.connectors {
            let name = connector.name.as_str();
            for state in State::ALL {
                out.push(
                    &catalog::CONNECTOR_STATE,
                    [cluster, name, state.label()],
                    indicator(connector.state == Some(state)),
                );
            }
            for task in &connector.tasks {
                let id = task.id.to_string();
                for state in State::ALL {
                    out.push(
                        &catalog::CONNECTOR_TASK_STATE,
                        [cluster, name, &id, state.label()],
                        indicator(task.state == Some(state)),
                    );
                }
            }
            let failed = connector.tasks.iter().filter(|task| task.state == Some(State::Failed)).count();
            out.push(&catalog::CONNECTOR_FAILED_TASK_COUNT, [cluster, name], failed as f64);
            // One series per failure, only while FAILED: the cause is a label, the trace never.
            if connector.state == Some(State::Failed) {
                let cause = failure_cause(connector.trace.as_ref());
                out.push(&catalog::CONNECTOR_FAILURE_CAUSE, [cluster, name, cause.label()], 1.0);
            }
            for task in connector.tasks.iter().filter(|task| task.state == Some(State::Failed)) {
                let cause = failure_cause(task.trace.as_ref());
                out.push(&catalog::TASK_FAILURE_CAUSE, [cluster, name, &task.id.to_string(), cause.label()], 1.0);
            }
            out.push(
                &catalog::CONNECTOR_INFO,
                [cluster, name, &connector.kind, &connector.class, &connector.worker_id],
                1.0,
            );
            if let Some(debezium) = &connector.debezium {
                out.push(
                    &catalog::DEBEZIUM_CONNECTOR_INFO,
                    [cluster, name, &debezium.database, &debezium.slot, &debezium.topic_prefix, &debezium.plugin],
                    1.0,
                );
                // Connect may say RUNNING while Debezium retries with its MBeans unregistered.
                if facts.jmx.complete() {
                    let streaming = facts.jmx.streaming(cluster, &debezium.topic_prefix);
                    out.push(&catalog::CONNECTOR_STREAMING, [cluster, name], indicator(streaming));
                }
            }
        }
    }

    fn summary(&self) -> Vec<StatusLine> {
        diagnose::summary(self)
    }

    fn findings(&self, cluster: &str, facts: &Facts) -> Vec<Finding> {
        diagnose::findings(self, cluster, facts)
    }
}

/// A failure without a trace is a cause nobody can name.
fn failure_cause(trace: Option<&Trace>) -> FailureCause {
    trace.map_or(FailureCause::Unknown, |trace| trace.cause)
}

fn indicator(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::rendered_alone as rendered;
    use crate::sources::connect::model::Skipped;
    use crate::sources::connect::parse::NOT_UNICODE;
    use crate::sources::connect::parse::tests::{cluster, find, fixture};

    #[test]
    fn a_failed_task_under_a_running_connector_is_visible() {
        let state = cluster("expand-task-failed.json");
        let billing = find(&state, "billing");
        assert_eq!(billing.state, Some(State::Running));
        assert_eq!(billing.tasks[0].state, Some(State::Failed));
        let trace = billing.tasks[0].trace.as_ref().unwrap();
        assert!(trace.head.starts_with("org.apache.kafka.connect.errors.ConnectException"), "{trace:?}");
        let cause = trace.root_cause.as_deref().unwrap();
        assert!(cause.starts_with("Caused by:") && cause.contains("Publication autocreation is disabled"), "{cause}");
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_connector_failed_task_count ["dc1", "billing"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_worker_task_count ["dc1", "failed"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_worker_connector_count ["dc1", "failed"] 0"#), "{text}");
        let causes: Vec<&str> = text.lines().filter(|line| line.contains("_failure_cause")).collect();
        assert_eq!(causes, [r#"kafka_connect_task_failure_cause ["dc1", "billing", "0", "publication_missing"] 1"#]);
    }

    #[test]
    fn no_cause_series_without_a_failure() {
        for name in ["expand-running.json", "expand-paused.json", "expand-stopped.json"] {
            assert!(!rendered(&cluster(name)).contains("_failure_cause"), "{name}");
        }
    }

    #[test]
    fn a_failure_without_a_trace_is_unknown() {
        let mut state = cluster("expand-task-failed.json");
        state.connectors.iter_mut().for_each(|connector| connector.tasks.iter_mut().for_each(|task| task.trace = None));
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_task_failure_cause ["dc1", "billing", "0", "unknown"] 1"#), "{text}");
    }

    #[test]
    fn a_failed_connector_makes_the_runbook_expression_true() {
        let state = cluster("expand-connector-failed.json");
        assert_eq!(find(&state, "billing").state, Some(State::Failed));
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_worker_connector_count ["dc1", "failed"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_connector_state ["dc1", "billing", "failed"] 1"#), "{text}");
        let cause = r#"kafka_connect_connector_failure_cause ["dc1", "billing", "publication_missing"] 1"#;
        assert!(text.contains(cause), "{text}");
    }

    #[test]
    fn no_config_value_but_the_join_keys_reaches_the_output() {
        for name in ["expand-running.json", "expand-task-failed.json", "expand-paused.json", "expand-stopped.json"] {
            let body = String::from_utf8(fixture(name)).unwrap();
            assert!(body.contains("dbz-secret-pw"), "the fixture should carry the password");
            let state = cluster(name);
            assert!(!rendered(&state).contains("dbz-secret-pw"));
            assert!(!format!("{state:?}").contains("dbz-secret-pw"), "the parsed state must not hold it");
            assert!(!format!("{:?}", state.summary()).contains("dbz-secret-pw"));
        }
    }

    /// expand-running.json with `billing` renamed `bil\uD800ling` (see the fixtures' README).
    #[test]
    fn a_connector_whose_name_is_not_unicode_hides_no_other() {
        let state = cluster("expand-lone-surrogate.json");
        let names: Vec<&str> = state.connectors.iter().map(|connector| connector.name.as_str()).collect();
        assert_eq!(names, ["inventory"]);
        assert_eq!(state.skipped, [Skipped { name: r"bil\uD800ling".into(), reason: NOT_UNICODE.into() }]);
        let text = rendered(&state);
        assert!(text.contains(r#"kafka_connect_skipped_connectors ["dc1"] 1"#), "{text}");
        assert!(text.contains(r#"kafka_connect_worker_connector_count ["dc1", "running"] 1"#), "{text}");
        let unreadable = state.summary().into_iter().find(|line| line.state == "unreadable").unwrap();
        assert_eq!((unreadable.subject.as_str(), unreadable.healthy), (r"bil\uD800ling", false));
    }

    #[test]
    fn nothing_skipped_is_a_zero() {
        let text = rendered(&cluster("expand-running.json"));
        assert!(text.contains(r#"kafka_connect_skipped_connectors ["dc1"] 0"#), "{text}");
    }
}
