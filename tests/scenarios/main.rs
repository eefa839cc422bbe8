//! The runbook's incidents caused for real on the stack, through real Prometheus and
//! Alertmanager. Each module takes its room ([`common::room`]): one stops PostgreSQL, another
//! deletes internal topics, so no two run at once.

#[path = "../common/mod.rs"]
mod common;

mod demo;
mod internal_topics;
mod postgres_down;
mod runbook;
mod status_page;
