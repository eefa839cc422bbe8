//! What the two JMX-over-HTTP bridges have in common. Jolokia (JSON) and jmx_exporter (text
//! exposition) each reduce what they read to one [`Reading`]; mapping it onto the catalog and
//! joining it with the Connect source happen here, once, so both bridges export the same names.
//!
//! Attribute names are compared folded ([`attribute_key`]): Debezium's `MilliSecondsBehindSource`,
//! the lower-cased `millisecondsbehindsource` of the usual jmx_exporter rules, Connect's
//! `total-record-failures` and Strimzi's `total_record_failures` all meet.
//!
//! This folder is no upstream of its own, so it has no `Source`, client or error: `parse.rs`
//! holds the ObjectName rules both bridges read names with, `mapping.rs` which attributes
//! become which metrics, `model.rs` the reading, `render.rs` and `diagnose.rs` what becomes of it.

mod diagnose;
mod mapping;
mod model;
mod parse;
mod render;

pub use model::{Attributes, BridgeObservation, DebeziumBean, Reading};
pub use parse::{attribute_key, unquote, unquoted};
