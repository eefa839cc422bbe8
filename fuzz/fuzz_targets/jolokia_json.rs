//! Jolokia's answer to the bulk read of the Debezium and Connect MBean patterns.
#![no_main]

use debezium_exporter::sources::jmx::BridgeObservation;
use debezium_exporter::sources::jolokia;
use debezium_exporter_fuzz::exercise;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(reading) = jolokia::parse(data) {
        exercise("worker-1", &BridgeObservation { reading, connect_cluster: Some("dc1".to_owned()) });
    }
});
