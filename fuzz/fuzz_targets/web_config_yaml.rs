//! The `--web.config.file` YAML (exporter-toolkit format).
#![no_main]

use debezium_exporter::config::WebConfigFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = std::hint::black_box(WebConfigFile::from_yaml(text));
});
