//! Kafka Connect's `GET /connectors?expand=status&expand=info` answer (and the legacy list of
//! names), and the legacy per-connector status + info pair.
#![no_main]

use debezium_exporter::sources::connect::{self, ConnectCluster, Parsed};
use debezium_exporter_fuzz::exercise;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Parsed::Cluster(mut state)) = connect::parse(data) {
        state.rest_url = "http://connect:8083".to_owned();
        std::hint::black_box(state.outbox_routes());
        exercise("dc1", &state);
    }
    // One object can be both: `connector`/`tasks` of the status and `config`/`type` of the info.
    if let Ok(connector) = connect::parse_legacy("legacy".to_owned(), data, data) {
        let state = ConnectCluster { connectors: vec![connector], ..ConnectCluster::default() };
        std::hint::black_box(state.outbox_routes());
        exercise("dc1", &state);
    }
});
