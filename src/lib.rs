//! debezium-exporter: a Prometheus exporter and monitoring-as-code generator for Debezium CDC
//! pipelines on PostgreSQL.
//!
//! Data flows one way: sources **poll** their upstreams into the **snapshot** store, and
//! `/metrics` and the status page **render** from the store without ever awaiting an upstream.

pub mod catalog;
pub mod check;
pub mod config;
pub mod generate;
pub mod http;
pub mod join;
pub mod listen;
pub mod render;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod sources;
pub mod status;
pub mod text;
