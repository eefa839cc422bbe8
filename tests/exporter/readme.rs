//! The README's reference tables are the code's, verbatim: the metrics from the catalog, the
//! alerts from the generator's rules. Rerun with UPDATE_README=1 to rewrite them.

use std::sync::Mutex;

use debezium_exporter::generate::{Settings, recording, rules, runbook};

/// Tests run in parallel; two rewriting the README at once would lose one's update.
static README: Mutex<()> = Mutex::new(());

/// Checks (or, with UPDATE_README set, rewrites) the README text between two markers.
fn section_matches(name: &str, expected: &str) {
    section_of_file_matches("README.md", name, expected);
}

/// The same for a generated section of another document (`docs/…`).
fn section_of_file_matches(file: &str, name: &str, expected: &str) {
    let _only_one = README.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let readme = std::fs::read_to_string(&path).unwrap();
    let begin = format!("<!-- {name}:begin -->\n");
    let end_marker = format!("<!-- {name}:end -->");
    let start = readme.find(&begin).unwrap_or_else(|| panic!("{file} has no {begin:?} marker")) + begin.len();
    let end = readme.find(&end_marker).unwrap_or_else(|| panic!("{file} has no {end_marker:?} marker"));
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, format!("{}{}{}", &readme[..start], expected, &readme[end..])).unwrap();
        return;
    }
    assert_eq!(&readme[start..end], expected, "{file}'s {name} are out of date: rerun this test with UPDATE_README=1");
}

#[test]
fn readme_metrics_reference_matches_the_catalog() {
    section_matches("metrics", &debezium_exporter::catalog::markdown_table());
}

#[test]
fn readme_alerts_list_matches_the_rules() {
    section_matches("alerts", &runbook::markdown_table(&rules::alerts(&Settings::default())));
}

#[test]
fn readme_recording_rules_match_the_generator() {
    section_of_file_matches(
        "docs/monitoring-as-code.md",
        "recording",
        &recording::markdown_table(&recording::recordings(&Settings::default())),
    );
}
