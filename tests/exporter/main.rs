//! The exporter's own surfaces: the dependency rule, configuration, the web listener, the
//! rendering, `check`, the generated monitoring and the README. Most run offline; the few that
//! need the real stack are `#[ignore]`d (scripts/test runs them).

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod check;
mod compose;
mod config;
mod generate;
mod ha;
mod kubernetes;
mod readme;
mod render;
mod web;
