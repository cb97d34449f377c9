//! The packages a submission's imports ask for: every `.py` file and notebook code cell read
//! with tree-sitter's Python grammar, less the standard library and the submission's own
//! modules, each import under its wheel's name; and what `!pip install` lines name.

use std::collections::BTreeSet;
use std::path::Path;

use super::{MAX_REQUESTS, MAX_SOURCE_BYTES, Request, Requests, dedup, read_requirements};
use crate::assignment::normalize_package;

/// The package to install for the top-level module `module`, where the names differ or
/// the module's own name is taken by another project. `None`: install `module` itself.
pub fn package_of_import(module: &str) -> &str {
    IMPORT_PACKAGES
        .iter()
        .find(|(import, _)| *import == module)
        .map_or(module, |(_, package)| package)
}

/// Import names whose package is named otherwise (or whose own name is another project's):
/// the common ones of data-science work. Every other import is asked for by its own name.
const IMPORT_PACKAGES: &[(&str, &str)] = &[
    ("sklearn", "scikit-learn"),
    ("skimage", "scikit-image"),
    ("cv2", "opencv-python-headless"),
    ("PIL", "pillow"),
    ("xgboost", "xgboost-cpu"),
    ("yaml", "pyyaml"),
    ("bs4", "beautifulsoup4"),
    ("imblearn", "imbalanced-learn"),
    ("dateutil", "python-dateutil"),
    ("docx", "python-docx"),
    ("pptx", "python-pptx"),
    ("dotenv", "python-dotenv"),
    ("umap", "umap-learn"),
    ("fitz", "pymupdf"),
    ("Levenshtein", "levenshtein"),
    ("sentence_transformers", "sentence-transformers"),
    ("google.protobuf", "protobuf"),
    ("Crypto", "pycryptodome"),
    ("jwt", "pyjwt"),
    ("fpdf", "fpdf2"),
    ("tensorflow_hub", "tensorflow-hub"),
    ("pandas_profiling", "ydata-profiling"),
    ("ydata_profiling", "ydata-profiling"),
    ("IPython", "ipython"),
    ("prompt_toolkit", "prompt-toolkit"),
    ("mpl_toolkits", "matplotlib"),
    ("pylab", "matplotlib"),
    ("sklearn_pandas", "sklearn-pandas"),
    ("category_encoders", "category-encoders"),
    ("tbats", "tbats"),
    ("statsmodels", "statsmodels"),
    ("pmdarima", "pmdarima"),
];

/// Modules a notebook or script may import that no package provides: the harness's own and
/// the notebook front ends' (a run has them, or does not need them).
const NOT_PACKAGES: &[&str] = &["google.colab", "takehome", "__future__", "__main__"];

/// What the sources of a submission (`.py` files and notebooks under `folder`) import,
/// as requests: top-level modules that are not the standard library's (`stdlib`), not the
/// submission's own modules, plus the packages of `!pip install` / `%pip install` lines.
pub fn from_imports(folder: &Path, stdlib: &BTreeSet<String>) -> Requests {
    let mut found = Requests::default();
    let own = own_modules(folder);
    for source in sources(folder) {
        for (module, line) in imports(&source.text) {
            let top = module.split('.').next().unwrap_or(&module).to_string();
            let dotted_two: String = module.split('.').take(2).collect::<Vec<_>>().join(".");
            if stdlib.contains(&top)
                || own.contains(&top)
                || NOT_PACKAGES.contains(&dotted_two.as_str())
                || NOT_PACKAGES.contains(&top.as_str())
            {
                continue;
            }
            let package = IMPORT_PACKAGES
                .iter()
                .find(|(import, _)| *import == dotted_two)
                .map_or_else(|| package_of_import(&top), |(_, package)| package);
            found.requests.push(Request {
                name: normalize_package(package),
                requirement: package.to_string(),
                asked_by: format!("import {module} ({})", source.at(line)),
            });
        }
        for (line, text) in pip_lines(&source.text) {
            let at = format!("pip install ({})", source.at(line));
            let listed = read_requirements(&text, &at);
            found
                .requests
                .extend(listed.requests.into_iter().map(|r| Request {
                    asked_by: at.clone(),
                    ..r
                }));
            found.warnings.extend(listed.warnings);
        }
    }
    // A `pip install` line's version wins over a bare import of the same package.
    found
        .requests
        .sort_by_key(|r| !r.asked_by.starts_with("pip install"));
    found.requests = dedup(found.requests);
    found.requests.truncate(MAX_REQUESTS);
    found.requests.sort();
    found
}

/// One piece of Python source: a `.py` file, or one code cell of a notebook.
struct Source {
    /// The file, relative to the submission's folder.
    file: String,
    /// The cell's number (from 1), for a notebook.
    cell: Option<usize>,
    text: String,
}

impl Source {
    /// Where `line` of this source is, for people: `main.py:3`, `eda.ipynb cell 2 line 1`.
    fn at(&self, line: usize) -> String {
        match self.cell {
            Some(cell) => format!("{} cell {cell} line {line}", self.file),
            None => format!("{}:{line}", self.file),
        }
    }
}

/// The submission's Python sources: `.py` files, and each code cell of its notebooks.
fn sources(folder: &Path) -> Vec<Source> {
    let mut found = Vec::new();
    for entry in walk(folder) {
        let Ok(relative) = entry.strip_prefix(folder) else {
            continue;
        };
        let file = relative.to_string_lossy().to_string();
        let too_big =
            std::fs::symlink_metadata(&entry).map_or(true, |m| m.len() > MAX_SOURCE_BYTES);
        let python = file.ends_with(".py");
        if too_big || !(python || file.ends_with(".ipynb")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        if python {
            found.push(Source {
                file,
                cell: None,
                text,
            });
            continue;
        }
        for (cell, text) in notebook_cells(&text) {
            found.push(Source {
                file: file.clone(),
                cell: Some(cell),
                text,
            });
        }
    }
    found
}

/// Folders never read for imports: environments and caches committed by mistake.
const SKIPPED_FOLDERS: &[&str] = &["site-packages", "node_modules", "__pycache__"];

/// Regular files under `folder`, links never followed; hidden folders, virtual
/// environments and [`SKIPPED_FOLDERS`] skipped.
fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = listing.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().to_string();
            let skipped = name.starts_with('.')
                || SKIPPED_FOLDERS.contains(&name.as_str())
                || entry.path().join("pyvenv.cfg").exists();
            if kind.is_dir() && !skipped {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// Module names the submission itself provides: every `.py` file's stem and every folder's
/// name (a package, or a namespace package Python finds on the working folder's path).
fn own_modules(folder: &Path) -> BTreeSet<String> {
    let mut own = BTreeSet::new();
    for file in walk(folder) {
        if file.extension().is_some_and(|e| e == "py")
            && let Some(stem) = file.file_stem()
        {
            own.insert(stem.to_string_lossy().to_string());
        }
        let mut parent = file.parent();
        while let Some(dir) = parent.filter(|d| d.starts_with(folder) && *d != folder) {
            if let Some(name) = dir.file_name() {
                own.insert(name.to_string_lossy().to_string());
            }
            parent = dir.parent();
        }
    }
    own
}

/// Each code cell of a notebook: its place among all the cells (from 1) and its source.
/// Not a notebook (bad JSON): none.
fn notebook_cells(text: &str) -> Vec<(usize, String)> {
    #[derive(serde::Deserialize)]
    struct Notebook {
        #[serde(default)]
        cells: Vec<Cell>,
    }
    #[derive(serde::Deserialize)]
    struct Cell {
        cell_type: String,
        #[serde(default)]
        source: CellSource,
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(untagged)]
    enum CellSource {
        #[default]
        None,
        Text(String),
        Lines(Vec<String>),
    }
    let Ok(notebook) = serde_json::from_str::<Notebook>(text) else {
        return Vec::new();
    };
    notebook
        .cells
        .into_iter()
        .enumerate()
        .filter(|(_, c)| c.cell_type == "code")
        .map(|(index, cell)| {
            let text = match cell.source {
                CellSource::None => String::new(),
                CellSource::Text(text) => text,
                CellSource::Lines(lines) => lines.concat(),
            };
            (index + 1, text)
        })
        .collect()
}

/// The absolute imports of Python `source`: (dotted module, line). Relative imports are the
/// submission's own. Magic lines (`%matplotlib`, `!pip`) parse as errors and are skipped.
fn imports(source: &str) -> Vec<(String, usize)> {
    let Some(tree) = crate::base::python_syntax::parse_python(source) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        let line = node.start_position().row + 1;
        let text = |n: tree_sitter::Node| source[n.byte_range()].to_string();
        match node.kind() {
            "import_statement" => {
                let mut names = node.walk();
                for name in node.children_by_field_name("name", &mut names) {
                    let dotted = match name.kind() {
                        "aliased_import" => name.child_by_field_name("name").map(text),
                        "dotted_name" => Some(text(name)),
                        _ => None,
                    };
                    found.extend(dotted.map(|d| (d, line)));
                }
            }
            "import_from_statement" => {
                if let Some(module) = node.child_by_field_name("module_name")
                    && module.kind() == "dotted_name"
                {
                    found.push((text(module), line));
                }
            }
            _ => {
                if cursor.goto_first_child() {
                    continue;
                }
            }
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    found
        .into_iter()
        .map(|(m, l)| (m.split_whitespace().collect::<String>(), l))
        .collect()
}

/// `!pip install shap==0.44 lime` and `%pip install -q shap` lines: (line, the packages as
/// requirement lines). Options are dropped; `-r FILE` is not followed.
fn pip_lines(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let line = line.trim();
        let Some(rest) = [
            "!pip install",
            "%pip install",
            "!pip3 install",
            "!python -m pip install",
        ]
        .iter()
        .find_map(|prefix| line.strip_prefix(prefix)) else {
            continue;
        };
        let mut packages = Vec::new();
        let mut skip_next = false;
        for word in rest.split_whitespace() {
            if std::mem::take(&mut skip_next) {
                continue;
            }
            if word.starts_with('-') {
                // Options that take a value: skip it too.
                skip_next = matches!(
                    word,
                    "-r" | "-c"
                        | "-e"
                        | "-i"
                        | "-f"
                        | "--index-url"
                        | "--extra-index-url"
                        | "--find-links"
                        | "--target"
                        | "-t"
                );
                continue;
            }
            packages.push(word.trim_matches(|c| c == '"' || c == '\'').to_string());
        }
        if !packages.is_empty() {
            found.push((index + 1, packages.join("\n")));
        }
    }
    found
}

/// The standard library's top-level module names, as the interpreter lists them.
pub fn stdlib_modules(python: &Path) -> anyhow::Result<BTreeSet<String>> {
    let output = std::process::Command::new(python)
        .args([
            "-c",
            "import sys; print('\\n'.join(sorted(sys.stdlib_module_names)))",
        ])
        .stdin(std::process::Stdio::null())
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "{} could not list its standard library",
        python.display()
    );
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}
