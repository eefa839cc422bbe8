//! Every upstream against its real server (the stack `scripts/stack-up` starts), and the fault
//! matrix in front of each. Tests needing the stack are `#[ignore]`d; scripts/test runs them.
//!
//! Each module takes its room ([`common::room`]): its tests run together as they did when each
//! file was a binary of its own, and never beside another module's.

#[path = "../common/mod.rs"]
mod common;

mod connect;
mod exposition;
mod failure_causes;
mod fault_matrix;
mod freshness;
mod jmx_exporter;
mod jolokia;
mod kafka;
mod kafka_mock;
mod odd_names;
mod postgres;
mod postgres_versions;
