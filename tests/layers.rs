//! The shape of `src/`, kept: files import each other in one direction only (no circles), the
//! top-level modules sit in the layers the README's layout section states and import only
//! downward, and no file passes 600 lines. Files and their imports are read with `syn`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syn::visit::Visit;

/// The top-level modules of `src/`, from the edges down: a module may import only modules
/// below it. Keep in step with the README's "Layout of this repository".
const LAYERS: &[&str] = &[
    "main",
    "cli",
    "server",
    "bench",
    "queue",
    "cohort",
    "review",
    "packet",
    "evaluate",
    "submission",
    "issue",
    "runner",
    "gvisor",
    "sandbox",
    "record",
    "report",
    "assignment",
    "score",
    "store",
    "base",
];

const MAX_LINES: usize = 600;

/// A file of the crate by its module path (`sandbox::shadow::stock`; `main` for main.rs).
type Module = Vec<String>;

fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] {
        parts.pop();
    }
    parts
}

/// Every `.rs` file of the crate under `src/` (the build script aside), with its text.
fn crate_files() -> BTreeMap<Module, (String, String)> {
    let src = support::repo("src");
    let mut files = BTreeMap::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path != src.join("build.rs") {
                let relative = path.strip_prefix(&src).unwrap().to_path_buf();
                let text = std::fs::read_to_string(&path).unwrap();
                files.insert(module_of(&relative), (relative.display().to_string(), text));
            }
        }
    }
    files
}

/// The crate paths one file names, in `use` items and in code, as absolute module paths.
struct Names<'a> {
    /// The module the code being read is in (the file's, plus inline modules).
    here: Module,
    files: &'a BTreeSet<Module>,
    found: BTreeSet<Module>,
}

impl Names<'_> {
    /// `segments` as an absolute path, if it starts at the crate, `self`, `super` or a child
    /// module of the code's own module.
    fn absolute(&self, segments: &[String]) -> Option<Module> {
        let mut at = self.here.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                at.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop();
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                let mut child = at.clone();
                child.push(first.to_string());
                if !self.files.contains(&child) {
                    return None;
                }
            }
            None => return None,
        }
        at.extend(rest.iter().cloned());
        Some(at)
    }

    fn name(&mut self, segments: &[String]) {
        let Some(mut path) = self.absolute(segments) else {
            return;
        };
        // The file is the longest prefix that is a file of the crate.
        while !path.is_empty() && !self.files.contains(&path) {
            path.pop();
        }
        if !path.is_empty() {
            self.found.insert(path);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.name(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.name(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.name(&prefix.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(prefix, t)),
        }
    }
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.name(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // Tests may reach anything of their file's neighbours; the shipped code may not.
        if is_test_only(&item.attrs) || item.content.is_none() {
            return;
        }
        self.here.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.here.pop();
    }
}

/// Which files each file imports. A module's `mod.rs` is its face: its children may use what
/// it declares, so a file naming one of its own ancestors is no edge.
fn import_graph() -> (BTreeMap<Module, BTreeSet<Module>>, BTreeMap<Module, String>) {
    let files = crate_files();
    let modules: BTreeSet<Module> = files.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    let mut names = BTreeMap::new();
    for (module, (relative, text)) in &files {
        let parsed = syn::parse_file(text).unwrap_or_else(|e| panic!("src/{relative}: {e}"));
        let mut visitor = Names {
            here: module.clone(),
            files: &modules,
            found: BTreeSet::new(),
        };
        visitor.visit_file(&parsed);
        let edges = visitor
            .found
            .into_iter()
            .filter(|target| target != module && !module.starts_with(target))
            .collect();
        graph.insert(module.clone(), edges);
        names.insert(module.clone(), relative.clone());
    }
    (graph, names)
}

/// A circle of files, if there is one, as the files in order.
fn find_circle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|m| m == node).unwrap();
                return Some(stack[start..].to_vec());
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, marks, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn no_files_of_src_import_each_other_in_a_circle() {
    let (graph, names) = import_graph();
    if let Some(circle) = find_circle(&graph) {
        let shown: Vec<&str> = circle.iter().map(|m| names[m].as_str()).collect();
        panic!(
            "these files import each other in a circle: {}",
            shown.join(" → ")
        );
    }
}

#[test]
fn top_level_modules_import_only_the_layers_below_them() {
    let (graph, names) = import_graph();
    let rank = |module: &Module| {
        LAYERS
            .iter()
            .position(|l| *l == module[0])
            .unwrap_or_else(|| panic!("src/{} is in no layer: add it to LAYERS", names[module]))
    };
    let mut upward = Vec::new();
    for (from, targets) in &graph {
        for to in targets {
            if from[0] != to[0] && rank(from) >= rank(to) {
                upward.push(format!("src/{} imports src/{}", names[from], names[to]));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run upward:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_file_of_src_is_over_600_lines() {
    let long: Vec<String> = crate_files()
        .values()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(relative, text)| format!("src/{relative}: {} lines", text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split by concern:\n{}", long.join("\n"));
}

#[test]
fn the_checks_see_a_circle_and_an_upward_import_when_there_is_one() {
    // The reader itself: a file naming a sibling through `super`, and one naming a child.
    let files: BTreeSet<Module> = [
        vec!["a".to_string()],
        vec!["a".into(), "b".into()],
        vec!["a".into(), "c".into()],
    ]
    .into_iter()
    .collect();
    let mut names = Names {
        here: vec!["a".into(), "b".into()],
        files: &files,
        found: BTreeSet::new(),
    };
    names.visit_file(&syn::parse_str("use super::c::Thing; fn f() { crate::a::c::g(); }").unwrap());
    assert_eq!(
        names.found,
        BTreeSet::from([vec!["a".to_string(), "c".to_string()]])
    );
    let graph = BTreeMap::from([
        (
            vec!["a".to_string(), "b".to_string()],
            BTreeSet::from([vec!["a".to_string(), "c".to_string()]]),
        ),
        (
            vec!["a".to_string(), "c".to_string()],
            BTreeSet::from([vec!["a".to_string(), "b".to_string()]]),
        ),
    ]);
    assert_eq!(find_circle(&graph).map(|c| c.len()), Some(2));
}
