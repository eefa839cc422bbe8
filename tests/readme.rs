//! The README's metrics reference is the catalog, verbatim.

const BEGIN: &str = "<!-- metrics:begin -->\n";
const END: &str = "<!-- metrics:end -->";

#[test]
fn readme_metrics_reference_matches_the_catalog() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(BEGIN).expect("README has the metrics:begin marker") + BEGIN.len();
    let end = readme.find(END).expect("README has the metrics:end marker");
    let table = debezium_exporter::catalog::markdown_table();
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(path, format!("{}{}{}", &readme[..start], table, &readme[end..])).unwrap();
        return;
    }
    assert_eq!(&readme[start..end], table, "README is out of date: rerun this test with UPDATE_README=1");
}
