//! The slot alerts' join with Connect: a slot's `cluster`, from `debezium_connector_info` on the
//! exporter's own `connector` label.

use std::time::Duration;

use crate::catalog;
use crate::generate::promql::{Selector, duration};

/// How far back the slot alerts look for `debezium_connector_info`: the exporter's
/// `snapshot::LAST_KNOWN_FOR`, how long it keeps a slot's `connector` label while Connect does
/// not answer (a test holds them equal).
pub const CONNECTOR_INFO_LOOKBACK: Duration = Duration::from_secs(5 * 60);

/// A per-slot condition, given the `cluster` of the connector that reads the slot (joined from
/// `debezium_connector_info` on the exporter's own `connector` label), so that a failed
/// connector can mute it and its dashboard link filters on it. Slots no connector claims
/// (physical, orphaned, or no Connect configured) still alert, with their own labels. `topk`
/// keeps the join one-to-one should two clusters of one exporter both have a connector of that
/// name on a slot of that name: a rule that errors would silence every slot alert. The info is
/// the last seen within [`CONNECTOR_INFO_LOOKBACK`], so a Connect worker restarting (its series
/// gone for seconds) does not turn the alert into another one without `cluster`, which would
/// restart its `for:`; a deleted connector's slot loses its `connector` label at once, so an
/// old info joins nothing.
pub(super) fn with_cluster(condition: &str) -> String {
    let on = "on (job, instance, connector, slot)";
    let info = format!(
        "last_over_time({}[{}])",
        Selector::of(&catalog::DEBEZIUM_CONNECTOR_INFO),
        duration(CONNECTOR_INFO_LOOKBACK)
    );
    format!(
        "({condition}) * {on} group_left (cluster) topk by (job, instance, connector, slot) (1, {info}) \
         or ({condition}) unless {on} {info}"
    )
}
