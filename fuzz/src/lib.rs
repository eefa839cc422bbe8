//! What every fuzz target does with a parse that succeeded: everything the exporter itself
//! does with an observation (share facts, render, encode, summarise, find problems), so the
//! parsed strings and numbers travel the whole way to the exposition and to `check`.

use debezium_exporter::render;
use debezium_exporter::join::Facts;
use debezium_exporter::snapshot::{Observation, Samples};
use debezium_exporter::sources::jmx_exporter;

/// Runs `observation` through the exporter's whole pipeline; panics are the only failures.
///
/// One property is checked on the way: the exposition written from upstream strings is valid
/// text format, as read by our own parser of it (a scrape of an invalid one fails whole).
pub fn exercise(target: &str, observation: &dyn Observation) {
    let mut facts = Facts::default();
    observation.share(target, &mut facts);
    let mut samples = Samples::default();
    observation.render(target, &facts, &mut samples);
    let exposition = render::encode(&samples);
    if let Err(error @ jmx_exporter::JmxExporterError::Line { .. }) = jmx_exporter::parse(&exposition) {
        panic!("the exposition is not valid text format: {error}\n{exposition}");
    }
    std::hint::black_box(observation.summary());
    std::hint::black_box(observation.findings(target, &facts));
}
