//! What every fuzz target does with a parse that succeeded: everything the exporter itself
//! does with an observation (share facts, render, encode, summarise, find problems), so the
//! parsed strings and numbers travel the whole way to the exposition and to `check`.

use debezium_exporter::render;
use debezium_exporter::snapshot::{Facts, Observation, Samples};

/// Runs `observation` through the exporter's whole pipeline; panics are the only failures.
pub fn exercise(target: &str, observation: &dyn Observation) {
    let mut facts = Facts::default();
    observation.share(target, &mut facts);
    let mut samples = Samples::default();
    observation.render(target, &facts, &mut samples);
    std::hint::black_box(render::encode(&samples));
    std::hint::black_box(observation.summary());
    std::hint::black_box(observation.findings(target, &facts));
}
