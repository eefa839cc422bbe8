//! jmx_exporter's text exposition (the poll refuses a body that is not UTF-8 before parsing).
#![no_main]

use debezium_exporter::sources::jmx::BridgeObservation;
use debezium_exporter::sources::jmx_exporter;
use debezium_exporter_fuzz::exercise;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(reading) = jmx_exporter::parse(text) {
        exercise("worker-1", &BridgeObservation { reading, connect_cluster: None });
    }
});
