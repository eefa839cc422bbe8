//! The landing page's lines for a bridge: one per Debezium streaming MBean. A bridge has no
//! findings of its own: what it shares (the streaming beans) feeds the Connect source's.

use super::model::Reading;
use crate::catalog::MbeanContext;
use crate::join::pipeline::{Part, StreamingPart};
use crate::snapshot::StatusLine;

/// Whether each server streams, and how far behind its source it is.
pub(super) fn status_lines(reading: &Reading) -> Vec<StatusLine> {
    reading
        .debezium
        .iter()
        .filter(|((_, context), _)| *context == MbeanContext::Streaming)
        .map(|((server, _), bean)| {
            let connected = bean.attributes.get("connected") == Some(&1.0);
            let not_negative = |key: &str| bean.attributes.get(key).copied().filter(|value| *value >= 0.0);
            StatusLine {
                subject: format!("server {server}"),
                state: if connected { "streaming" } else { "disconnected" }.to_owned(),
                healthy: connected,
                detail: bean
                    .attributes
                    .get("millisecondsbehindsource")
                    .filter(|lag| **lag >= 0.0)
                    .map(|lag| format!("{lag} ms behind source")),
                part: Some(Part::Streaming(StreamingPart {
                    server: server.clone(),
                    connected,
                    millis_behind_source: not_negative("millisecondsbehindsource"),
                    millis_since_last_event: not_negative("millisecondssincelastevent"),
                })),
            }
        })
        .collect()
}
