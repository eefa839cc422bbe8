//! The `trace` of a FAILED connector or task, as Connect returns it: anyone who can make a
//! connector fail chooses its text (an exception message quotes rows, names and settings).
#![no_main]

use debezium_exporter::sources::connect::read_trace;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(trace) = read_trace(text) {
        assert!(!trace.head.trim().is_empty(), "a trace's head is its first non-blank line");
    }
});
