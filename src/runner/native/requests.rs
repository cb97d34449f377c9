//! What a python-native submission asks to have installed: the lines of its
//! `requirements.txt` (PEP 508, markers evaluated for the runner's interpreter), or, when it
//! has none, the packages its imports and `!pip install` lines name. Only names and version
//! specifiers come through; pip options, URLs and local paths never do.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use pep508_rs::pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, Requirement, VersionOrUrl};

use super::resolve::PYTHON_VERSION;
use crate::assignment::normalize_package;

/// The file a submission names its packages in.
pub const REQUIREMENTS_TXT: &str = "requirements.txt";
/// More requests than this are refused: a file of thousands of lines is not a submission's.
const MAX_REQUESTS: usize = 200;
/// Larger sources are not read.
const MAX_SOURCE_BYTES: u64 = 4 << 20;

/// One package a submission asks for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Request {
    /// The normalised package name (`scikit-learn`).
    pub name: String,
    /// What pip is asked for: the name, its extras and version specifiers (`pandas<3`).
    pub requirement: String,
    /// Where it was asked: `requirements.txt:3`, `import seaborn (main.py:2)`.
    pub asked_by: String,
}

impl Request {
    /// Whether `version` is one this request accepts (any version, when it names none).
    pub fn accepts(&self, version: &str) -> bool {
        let Ok(requirement) = Requirement::<pep508_rs::VerbatimUrl>::from_str(&self.requirement)
        else {
            return false;
        };
        match (requirement.version_or_url, Version::from_str(version)) {
            (None, _) => true,
            (Some(VersionOrUrl::VersionSpecifier(specifiers)), Ok(version)) => {
                specifiers.contains(&version)
            }
            _ => false,
        }
    }
}

/// What a submission asks for, and the lines that were not honoured, each with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requests {
    pub requests: Vec<Request>,
    pub warnings: Vec<String>,
}

/// What the submission in `folder` asks for: its `requirements.txt` (at the top, else
/// beside its first entry `entry`), or, when it has none, its imports. `python` is the
/// interpreter whose standard library is not asked for.
pub fn requests_for(
    folder: &Path,
    entry: Option<&Path>,
    python: &Path,
) -> anyhow::Result<Requests> {
    let beside_entry = entry
        .and_then(Path::parent)
        .map(|dir| dir.join(REQUIREMENTS_TXT));
    let candidates = std::iter::once(folder.join(REQUIREMENTS_TXT)).chain(beside_entry);
    for path in candidates {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        anyhow::ensure!(
            meta.len() <= MAX_SOURCE_BYTES,
            "{}: {} bytes is too large for a list of packages",
            path.display(),
            meta.len()
        );
        let text = std::fs::read(&path)?;
        let label = path
            .strip_prefix(folder)
            .unwrap_or(&path)
            .to_string_lossy()
            .to_string();
        return Ok(read_requirements(&String::from_utf8_lossy(&text), &label));
    }
    Ok(from_imports(folder, &stdlib_modules(python)?))
}

/// Reads `requirements.txt` text (`file` names it in messages).
pub fn read_requirements(text: &str, file: &str) -> Requests {
    let mut found = Requests::default();
    for (index, raw) in text.lines().enumerate() {
        let at = format!("{file}:{}", index + 1);
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            found.warnings.push(format!(
                "{at}: `{}` is a pip option, not honoured: packages come only from the \
                 registry pip is configured with, by name",
                clip(line)
            ));
            continue;
        }
        match parse_line(line) {
            Ok(Some(requirement)) => found.requests.push(Request {
                name: normalize_package(requirement.name.as_ref()),
                requirement: pip_text(&requirement),
                asked_by: at,
            }),
            Ok(None) => {}
            Err(why) => found.warnings.push(format!("{at}: {why}")),
        }
        if found.requests.len() > MAX_REQUESTS {
            found.warnings.push(format!(
                "{file}: more than {MAX_REQUESTS} packages; the rest is not read"
            ));
            found.requests.truncate(MAX_REQUESTS);
            break;
        }
    }
    found.requests = dedup(found.requests);
    found
}

/// One requirement line: `None` when its markers exclude the runner's interpreter.
fn parse_line(line: &str) -> Result<Option<Requirement>, String> {
    // `torch==2.1.0+cpu`: local version labels name builds of other indexes; the registry's
    // release of that version is asked for instead.
    let line = strip_local_labels(line);
    let requirement = Requirement::<pep508_rs::VerbatimUrl>::from_str(&line).map_err(|e| {
        // pep508_rs draws a caret under the fault on further lines: the first says it.
        let why = e.to_string();
        let why = why.lines().next().unwrap_or_default().to_string();
        format!("`{}` is not a requirement: {why}", clip(&line))
    })?;
    if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url {
        return Err(format!(
            "`{}` installs from {url}, not honoured: only packages from the registry, by name",
            requirement.name
        ));
    }
    if !requirement.marker.evaluate(target(), &[]) {
        return Ok(None);
    }
    Ok(Some(requirement))
}

/// The name, extras and specifiers of `requirement`, without markers.
fn pip_text(requirement: &Requirement) -> String {
    let mut text = requirement.name.to_string();
    if !requirement.extras.is_empty() {
        let extras: Vec<String> = requirement.extras.iter().map(|e| e.to_string()).collect();
        text.push_str(&format!("[{}]", extras.join(",")));
    }
    if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url {
        text.push_str(&specifiers.to_string());
    }
    text
}

/// `==2.1.0+cpu` → `==2.1.0`.
fn strip_local_labels(line: &str) -> String {
    let pattern = regex_local();
    pattern.replace_all(line, "$1").into_owned()
}

fn regex_local() -> &'static regex::Regex {
    static LOCAL: OnceLock<regex::Regex> = OnceLock::new();
    LOCAL.get_or_init(|| regex::Regex::new(r"(==\s*[0-9][0-9A-Za-z.!*]*)\+[0-9A-Za-z.]+").unwrap())
}

/// The text of a requirements line before its comment (`#` at the start or after a space).
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    }
}

/// The marker environment of the runner's interpreter: CPython on x86-64 Linux.
fn target() -> &'static MarkerEnvironment {
    static TARGET: OnceLock<MarkerEnvironment> = OnceLock::new();
    TARGET.get_or_init(|| {
        let full = format!("{PYTHON_VERSION}.0");
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: &full,
            python_version: PYTHON_VERSION,
            sys_platform: "linux",
        })
        .expect("the target's versions parse")
    })
}

/// The first request of each name; later ones are dropped (pip refuses double names).
fn dedup(requests: Vec<Request>) -> Vec<Request> {
    let mut seen = BTreeSet::new();
    requests
        .into_iter()
        .filter(|r| seen.insert(r.name.clone()))
        .collect()
}

fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(120).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

mod imports;

pub use imports::{from_imports, package_of_import, stdlib_modules};

#[cfg(test)]
mod tests;
