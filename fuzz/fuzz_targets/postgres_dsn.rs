//! A PostgreSQL DSN (`sources.postgres[].dsn`, `--postgres.dsn`): URL or key/value form.
#![no_main]

use debezium_exporter::config::PostgresDsn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(dsn) = PostgresDsn::try_from(text.to_owned()) {
        std::hint::black_box(dsn.to_string());
        std::hint::black_box(dsn.database());
    }
});
