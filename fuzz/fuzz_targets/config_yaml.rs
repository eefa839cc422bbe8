//! The `--config.file` YAML.
#![no_main]

use debezium_exporter::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = Config::from_yaml(text) {
        let _ = std::hint::black_box(config.listen_address());
    }
});
