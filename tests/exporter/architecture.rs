//! The dependency rule of docs/development.md, read from the source: every `crate::…` path in
//! `src/` (in `use` lines and in code, tests included) names the module it comes from, and
//! this test fails on an import the rule forbids or on a circle of imports between files,
//! naming the file, the line and the import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Who may import whom, by top-level module. A module may always import inside itself, except
/// that one upstream folder never imports another (see [`allowed`]).
const RULE: &[(&str, &[&str])] = &[
    // The shared vocabularies, at the bottom.
    ("catalog", &[]),
    ("text", &[]),
    ("config", &["catalog", "text"]),
    ("join", &["catalog", "config", "text"]),
    // The poll core.
    ("http", &["catalog", "config", "text", "join", "source"]),
    ("source", &["catalog", "config", "text", "join", "snapshot"]),
    ("snapshot", &["catalog", "config", "text", "join"]),
    // Every upstream.
    ("sources", &["catalog", "config", "text", "join", "http", "source", "snapshot"]),
    // What reads the store.
    ("render", &["catalog", "text", "join", "snapshot"]),
    ("listen", &["config", "text"]),
    ("server", &["catalog", "config", "text", "join", "snapshot", "render", "listen", "status"]),
    ("check", &["catalog", "config", "text", "join", "snapshot", "source", "sources"]),
    // The status page draws the joined pipelines and `check`'s findings from the store.
    ("status", &["catalog", "config", "text", "join", "snapshot", "check"]),
    // The generator knows the catalog and its own settings, nothing that polls.
    ("generate", &["catalog", "config::generate"]),
];

/// JMX-over-HTTP bridges share their MBean model; no other upstream imports another.
const SHARED_UPSTREAM: (&str, &[&str]) = ("sources::jmx", &["sources::jolokia", "sources::jmx_exporter"]);

#[test]
fn every_import_follows_the_dependency_rule() {
    let modules = modules();
    let mut broken = Vec::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).unwrap();
        for import in imports(module, &source, &modules) {
            if let Err(why) = allowed(module, &import.target) {
                broken.push(format!("{}:{}: `{}`: {why}", file.display(), import.line, import.text));
            }
        }
    }
    assert!(broken.is_empty(), "imports the dependency rule forbids:\n{}", broken.join("\n"));
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let modules = modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).unwrap();
        let targets = graph.entry(module.clone()).or_default();
        for import in imports(module, &source, &modules) {
            if import.target != *module {
                targets.insert(import.target);
            }
        }
    }
    let circles: Vec<String> = circles(&graph).iter().map(|circle| circle.join(" -> ")).collect();
    assert!(circles.is_empty(), "modules that import each other in a circle:\n{}", circles.join("\n"));
}

/// The checker itself: a planted import of each kind is caught.
#[test]
fn planted_violations_are_caught() {
    let modules: BTreeMap<String, PathBuf> = ["catalog", "generate", "generate::rules", "sources", "sources::connect"]
        .into_iter()
        .chain(["sources::postgres", "sources::jmx", "sources::jolokia", "snapshot", "config", "config::generate"])
        .map(|module| (module.to_owned(), PathBuf::new()))
        .collect();
    let planted = [
        ("generate::rules", "use crate::sources::connect::State;"),
        ("generate::rules", "use crate::config::Config;"),
        ("sources::connect", "use crate::sources::postgres::Slot;"),
        ("sources::connect", "use super::postgres::Slot;"),
        ("catalog", "    let x = crate::snapshot::Store::new([]);"),
        ("snapshot", "use crate::{catalog::Metric, sources::jmx::Context};"),
    ];
    for (module, line) in planted {
        let found = imports(module, line, &modules);
        assert!(found.iter().any(|import| allowed(module, &import.target).is_err()), "{module}: {line}: {found:?}");
    }
    let fine = [
        ("generate::rules", "use crate::config::generate::Settings;"),
        ("sources::jolokia", "use super::jmx::{BridgeObservation, Context};"),
        ("sources::connect", "use crate::{catalog::{self, State}, snapshot::Samples};"),
    ];
    for (module, line) in fine {
        let found = imports(module, line, &modules);
        assert!(!found.is_empty(), "{module}: {line}: nothing read");
        assert!(found.iter().all(|import| allowed(module, &import.target).is_ok()), "{module}: {line}: {found:?}");
    }
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")].into_iter().fold(BTreeMap::new(), |mut graph, (from, to)| {
            graph.entry(from.to_owned()).or_default().insert(to.to_owned());
            graph
        });
    assert_eq!(circles(&graph), [["a", "b", "c"]]);
}

/// Why `from` may not import `to`, if it may not.
fn allowed(from: &str, to: &str) -> Result<(), String> {
    let top = |module: &str| module.split("::").next().unwrap_or_default().to_owned();
    if top(from) == top(to) {
        return same_room(from, to);
    }
    let Some((_, may)) = RULE.iter().find(|(module, _)| *module == top(from)) else {
        return Err(format!("`{}` is not in the rule: add it to tests/exporter/architecture.rs", top(from)));
    };
    let permitted = may.iter().any(|allowed| to == *allowed || to.starts_with(&format!("{allowed}::")))
        || may.contains(&top(to).as_str());
    // `check` builds the source list (`sources::from_config`) and knows no single upstream.
    let into_one_upstream = top(from) == "check" && to.starts_with("sources::");
    if permitted && !into_one_upstream { Ok(()) } else { Err(format!("`{}` may import only {may:?}", top(from))) }
}

/// Inside one top-level module anything goes, but an upstream folder stays out of another's.
fn same_room(from: &str, to: &str) -> Result<(), String> {
    fn upstream(module: &str) -> Option<&str> {
        module.strip_prefix("sources::").map(|rest| rest.split("::").next().unwrap_or(rest))
    }
    match (upstream(from), upstream(to)) {
        (Some(own), Some(other)) if own != other => {
            let (shared, users) = SHARED_UPSTREAM;
            if format!("sources::{other}") == shared && users.contains(&format!("sources::{own}").as_str()) {
                Ok(())
            } else {
                Err(format!("upstream `{own}` imports upstream `{other}`: share through `join` instead"))
            }
        }
        _ => Ok(()),
    }
}

/// Every module of `src/` (but the binary's `main.rs` and `lib.rs`) by its path, e.g.
/// `sources::connect::parse`, with its file.
fn modules() -> BTreeMap<String, PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> =
                relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
            if parts == ["main"] || parts == ["lib"] {
                continue;
            }
            if parts.last().is_some_and(|last| last == "mod") {
                parts.pop();
            }
            modules.insert(parts.join("::"), path);
        }
    }
    modules
}

#[derive(Debug)]
struct Import {
    /// The module the path leads into.
    target: String,
    line: usize,
    text: String,
}

/// Every `crate::…` path and every top-level `use super::…` in `source`, as the module it
/// leads into. A `super` inside an inline module (`mod tests`) is the file itself, so only
/// unindented ones count.
fn imports(module: &str, source: &str, modules: &BTreeMap<String, PathBuf>) -> Vec<Import> {
    let parent = module.rsplit_once("::").map_or("", |(parent, _)| parent);
    let children: Vec<&str> = modules
        .keys()
        .filter_map(|other| other.strip_prefix(module)?.strip_prefix("::"))
        .filter(|child| !child.contains("::"))
        .collect();
    let mut found = Vec::new();
    let mut statement = String::new();
    let mut first_line = 0;
    let mut indented = false;
    for (index, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        // A parent module that calls into its own child (`rules::alerts(…)`) depends on it.
        for child in &children {
            let named = code
                .match_indices(&format!("{child}::"))
                .any(|(at, _)| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':'));
            if named {
                found.push(Import {
                    target: format!("{module}::{child}"),
                    line: index + 1,
                    text: code.trim().to_owned(),
                });
            }
        }
        // A `use` may span lines: gather it up to its `;`.
        if statement.is_empty() && !code.trim_start().starts_with("use ") && !code.contains("crate::") {
            continue;
        }
        if statement.is_empty() {
            first_line = index + 1;
            indented = line.starts_with(char::is_whitespace);
        }
        statement.push_str(code.trim());
        statement.push(' ');
        let is_use = statement.trim_start().starts_with("use ") || statement.trim_start().starts_with("pub use ");
        if is_use && !code.contains(';') {
            continue;
        }
        let text = std::mem::take(&mut statement);
        let mut paths = Vec::new();
        if is_use {
            let tree = text.trim().trim_start_matches("pub ").trim_start_matches("use ").trim_end_matches([';', ' ']);
            expand(tree, "", &mut paths);
        } else {
            paths.extend(inline_paths(&text));
        }
        for path in paths {
            let absolute = if let Some(rest) = path.strip_prefix("crate::") {
                rest.to_owned()
            } else if let Some(rest) = path.strip_prefix("super::") {
                if indented || parent.is_empty() {
                    continue;
                }
                format!("{parent}::{rest}")
            } else {
                continue;
            };
            if let Some(target) = longest_module(&absolute, modules) {
                found.push(Import { target, line: first_line, text: text.trim().to_owned() });
            }
        }
    }
    found
}

/// `crate::a::b` paths written in code, outside `use` lines.
fn inline_paths(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            code[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect::<String>()
        })
        .collect()
}

/// Expands a use tree (`crate::{a::B, c::{d, e}}`) into whole paths.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    match tree.find('{') {
        None => out.push(format!("{prefix}{}", tree.split(" as ").next().unwrap_or(tree).trim())),
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (at, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&inner[start..at], &format!("{prefix}{head}"), out);
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            expand(&inner[start..], &format!("{prefix}{head}"), out);
        }
    }
}

/// The deepest module `path` names: `sources::connect::State` → `sources::connect`.
fn longest_module(path: &str, modules: &BTreeMap<String, PathBuf>) -> Option<String> {
    let parts: Vec<&str> = path.trim_end_matches("::").split("::").filter(|part| *part != "self").collect();
    (1..=parts.len()).rev().map(|length| parts[..length].join("::")).find(|module| modules.contains_key(module))
}

/// Every circle of the graph (Tarjan's strongly connected components of more than one node),
/// each sorted.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        circles: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let order = self.index.len();
            self.index.insert(node, order);
            self.low.insert(node, order);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let at = self.stack.iter().rposition(|each| *each == node).unwrap();
                let mut members: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
                if members.len() > 1 {
                    members.sort();
                    self.circles.push(members);
                }
            }
        }
    }
    let mut walk = Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), circles: Vec::new() };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.circles
}
