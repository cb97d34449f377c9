//! Resolving an assignment's `[runner] packages` for python-native: each exact pin and all
//! its dependencies to binary wheels for the runner's interpreter, never a source build.
//!
//! pip does the resolving (`pip download --only-binary=:all:` with the target's explicit
//! tags, the runner's base wheels as constraints, so numpy, pandas and the rest keep their
//! pinned versions); this module says what to ask, reads what pip left, and turns pip's
//! failures into errors that name the package and why.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::assignment::{Pin, normalize_package};
use crate::base::sha256_file;
use crate::runner::wheels::{PinnedWheel, wheel_identity};

/// The interpreter the wheels are for: CPython 3.11, as `runners/python-native.toml`'s base
/// wheels are. Another interpreter needs another base lock and these three changed together.
pub const PYTHON_VERSION: &str = "3.11";
/// pip's `--implementation` (CPython).
pub const IMPLEMENTATION: &str = "cp";
/// pip's `--abi`: CPython 3.11's ABI; `abi3` and `none` wheels are accepted too.
pub const ABI: &str = "cp311";
/// The newest glibc a wheel may require: manylinux_2_28 (what torch, numpy and the base
/// wheels are built for; Debian 12 has 2.36). Every older manylinux tag is accepted too.
pub const GLIBC_MINOR: u32 = 28;

/// A human description of the target, for messages.
pub const TARGET: &str = "CPython 3.11 on manylinux x86-64";

/// pip's `--platform` values: `manylinux_2_5_x86_64` to `manylinux_2_28_x86_64` and the
/// legacy names `manylinux1`, `manylinux2010`, `manylinux2014` (pip does not expand a
/// `manylinux_2_NN` tag to the older ones itself).
pub fn platforms() -> Vec<String> {
    let mut tags: Vec<String> = (5..=GLIBC_MINOR)
        .map(|minor| format!("manylinux_2_{minor}_x86_64"))
        .collect();
    for legacy in ["manylinux1", "manylinux2010", "manylinux2014"] {
        tags.push(format!("{legacy}_x86_64"));
    }
    tags
}

/// One wheel pip resolved, not among the runner's base wheels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub wheel: PinnedWheel,
    /// Where pip left it.
    pub path: PathBuf,
    /// Whether one of the assignment's pins asked for it (else it is a dependency).
    pub requested: bool,
}

/// Resolves `pins` and their dependencies to binary wheels for [`TARGET`], with the runner's
/// `base` wheels as constraints, downloading them into `into`. Returns every wheel beyond
/// the base ones, sorted by file name.
pub fn resolve(pins: &[Pin], base: &[PinnedWheel], into: &Path) -> anyhow::Result<Vec<Resolved>> {
    let asked: Vec<String> = pins.iter().map(Pin::to_string).collect();
    let downloaded = download(&asked, base, into).map_err(|failure| {
        let mut error = explain(&failure, base);
        if let ResolveError::Other { pins: text, .. } = &mut error {
            *text = asked.join(", ");
        }
        error
    })?;
    let mut resolved = Vec::new();
    for (wheel, path) in downloaded {
        if let Some(own) = base
            .iter()
            .find(|w| normalize_package(&w.name) == wheel.name)
        {
            anyhow::ensure!(
                own.version == wheel.version,
                "pip resolved {}, but the runner pins {}=={}",
                wheel.file,
                own.name,
                own.version
            );
            continue;
        }
        let requested = pins
            .iter()
            .any(|p| p.normalized() == wheel.name && p.version == wheel.version);
        resolved.push(Resolved {
            wheel,
            path,
            requested,
        });
    }
    for pin in pins {
        let in_base = base
            .iter()
            .any(|w| normalize_package(&w.name) == pin.normalized() && w.version == pin.version);
        let found = resolved.iter().any(|r| {
            r.wheel.name == pin.normalized() && r.wheel.version == pin.version && r.requested
        });
        anyhow::ensure!(
            in_base || found,
            "{pin}: pip resolved without leaving its wheel"
        );
    }
    Ok(resolved)
}

/// pip's output after a failed download (stdout, then stderr).
pub struct PipFailure(pub String);

/// Downloads the binary wheels of `requirements` (PEP 508 lines without markers) and all
/// their dependencies for [`TARGET`] into `into`, with `constraints` held to their pinned
/// versions. Returns every wheel pip left (normalised name, version, file, sha256) with its
/// path, sorted by file name.
pub fn download(
    requirements: &[String],
    constraints: &[PinnedWheel],
    into: &Path,
) -> anyhow::Result<Vec<(PinnedWheel, PathBuf)>, PipFailure> {
    let failed = |e: &dyn std::fmt::Display| PipFailure(format!("ERROR: {e}"));
    std::fs::create_dir_all(into).map_err(|e| failed(&e))?;
    let constraints_file = into.join(".takehome-constraints.txt");
    let text: String = constraints
        .iter()
        .map(|w| format!("{}=={}\n", w.name, w.version))
        .collect();
    std::fs::write(&constraints_file, text).map_err(|e| failed(&e))?;
    let mut command = Command::new("python3");
    command.args([
        "-m",
        "pip",
        "download",
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        IMPLEMENTATION,
        "--abi",
        ABI,
    ]);
    for platform in platforms() {
        command.args(["--platform", &platform]);
    }
    let output = command
        .arg("--constraint")
        .arg(&constraints_file)
        // Not `--quiet`: pip explains a conflict on stdout, at the level `--quiet` hides.
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        // pip's cache would keep a second copy of every wheel (gigabytes for torch): the
        // wheels are kept as blobs instead.
        .args(["--no-cache-dir", "--dest"])
        .arg(into)
        // Every requirement after `--`: a line can never become an option.
        .arg("--")
        .args(requirements)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            failed(&format!(
                "cannot run `python3 -m pip` ({e}); pip is needed to resolve packages"
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        return Err(PipFailure(format!("{stdout}\n{stderr}")));
    }
    let listing = std::fs::read_dir(into).map_err(|e| failed(&e))?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    files.sort();
    let mut wheels = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Some((name, version)) = wheel_identity(&file) else {
            return Err(failed(&format!(
                "pip left {file}, which is not named as a wheel is"
            )));
        };
        let sha256 = sha256_file(&path).map_err(|e| failed(&e))?;
        wheels.push((
            PinnedWheel {
                name,
                version,
                sha256,
                file,
            },
            path,
        ));
    }
    Ok(wheels)
}

/// Why pip could not resolve the pins, read from its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// No release of `package` with a binary wheel for the target matches.
    NotFound {
        /// The requirement pip could not satisfy, as pip wrote it (markers removed).
        requirement: String,
        /// The package that required it, when it is a dependency.
        required_by: Option<String>,
        /// The versions that do have a wheel for the target (empty: none at all).
        available: Vec<String>,
        /// Versions pip skipped for their `Requires-Python`.
        other_python: Option<String>,
    },
    /// The pins (or their dependencies) cannot be installed together with the base wheels.
    Conflict {
        /// What pip was asked to install, as it names it.
        package: String,
        /// The base wheels involved (`numpy==2.4.6`).
        base: Vec<String>,
        /// pip's explanation, one requirement a line.
        causes: Vec<String>,
    },
    /// Anything else pip reported: its error lines.
    Other { pins: String, errors: Vec<String> },
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::NotFound {
                requirement,
                required_by,
                available,
                other_python,
            } => {
                write!(f, "{requirement}")?;
                if let Some(parent) = required_by {
                    write!(f, " (a dependency of {parent})")?;
                }
                if available.is_empty() {
                    write!(
                        f,
                        ": no binary wheel for {TARGET} (the package does not exist, or it \
                         ships only source archives or wheels for other platforms; python-native \
                         never builds from source)"
                    )?;
                } else {
                    write!(
                        f,
                        ": version not found as a binary wheel for {TARGET}; versions with one: {}",
                        available.join(", ")
                    )?;
                }
                if let Some(other) = other_python {
                    write!(f, "; skipped for another Python: {other}")?;
                }
                Ok(())
            }
            ResolveError::Conflict {
                package,
                base,
                causes,
            } => {
                if base.is_empty() {
                    write!(f, "{package}: its dependencies conflict")?;
                } else {
                    write!(
                        f,
                        "{package}: conflicts with the runner's base wheel {} (python-native keeps \
                         the versions of runners/python-native.toml)",
                        base.join(", ")
                    )?;
                }
                write!(f, ": {}", causes.join("; "))
            }
            ResolveError::Other { pins, errors } => {
                write!(f, "cannot resolve {pins}: {}", errors.join("; "))
            }
        }
    }
}

impl std::error::Error for ResolveError {}

/// Reads pip's output (stdout and stderr) after a failed resolution.
pub fn explain(failure: &PipFailure, base: &[PinnedWheel]) -> ResolveError {
    let lines: Vec<&str> = failure.0.lines().map(str::trim).collect();
    let other_python = lines.iter().find_map(|l| {
        l.strip_prefix(
            "ERROR: Ignored the following versions that require a different python version: ",
        )
        .map(str::to_string)
    });
    let not_found = "ERROR: Could not find a version that satisfies the requirement ";
    if let Some(rest) = lines.iter().find_map(|l| l.strip_prefix(not_found)) {
        let (requirement, rest) = match rest.rfind(" (from versions:") {
            Some(at) => (&rest[..at], &rest[at + " (from versions:".len()..]),
            None => (rest, ""),
        };
        let available: Vec<String> = rest
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "none")
            .map(str::to_string)
            .collect();
        let (requirement, required_by) = match requirement.rfind(" (from ") {
            Some(at) if requirement.ends_with(')') => (
                &requirement[..at],
                Some(requirement[at + " (from ".len()..requirement.len() - 1].to_string()),
            ),
            _ => (requirement, None),
        };
        // `nvidia-x==1.0; platform_system == "Linux"`: the markers held, or pip would not ask.
        let requirement = requirement.split(';').next().unwrap_or(requirement).trim();
        let required_by = required_by.map(|parent| {
            let parent = parent.split(',').next().unwrap_or(&parent).trim();
            parent
                .split("->")
                .last()
                .unwrap_or(parent)
                .trim()
                .to_string()
        });
        return ResolveError::NotFound {
            requirement: requirement.to_string(),
            required_by,
            available,
            other_python,
        };
    }
    let cannot = lines.iter().find_map(|l| {
        l.strip_prefix("ERROR: Cannot install ")
            .and_then(|r| r.split(" because").next())
    });
    if let Some(package) = cannot {
        let start = lines
            .iter()
            .position(|l| l.starts_with("The conflict is caused by"));
        let causes: Vec<String> = start
            .map(|s| {
                lines[s + 1..]
                    .iter()
                    .take_while(|l| !l.is_empty())
                    .map(|l| l.to_string())
                    .collect()
            })
            .unwrap_or_default();
        let mut involved: Vec<String> = causes
            .iter()
            .filter_map(|c| c.strip_prefix("The user requested (constraint) "))
            .map(str::to_string)
            .collect();
        if involved.is_empty() {
            // pip names only the package; the base wheel is the one of that name.
            involved = base
                .iter()
                .filter(|w| {
                    causes
                        .iter()
                        .any(|c| c.split_whitespace().any(|word| mentions(word, &w.name)))
                })
                .map(|w| format!("{}=={}", w.name, w.version))
                .collect();
        }
        involved.sort();
        involved.dedup();
        return ResolveError::Conflict {
            package: package.to_string(),
            base: involved,
            causes: causes
                .into_iter()
                .filter(|c| !c.starts_with("The user requested (constraint)"))
                .collect(),
        };
    }
    ResolveError::Other {
        pins: String::new(),
        errors: lines
            .iter()
            .filter_map(|l| l.strip_prefix("ERROR: "))
            .map(str::to_string)
            .collect(),
    }
}

/// Whether `word` (`numpy<2`, `numpy==1.26.4`) names the package `name`.
fn mentions(word: &str, name: &str) -> bool {
    let end = word
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(word.len());
    !word[..end].is_empty() && normalize_package(&word[..end]) == normalize_package(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<PinnedWheel> {
        vec![PinnedWheel {
            name: "numpy".into(),
            version: "2.4.6".into(),
            file: "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl".into(),
            sha256: "0".repeat(64),
        }]
    }

    #[test]
    fn the_platform_tags_run_from_manylinux_2_5_to_2_28_with_the_legacy_names() {
        let tags = platforms();
        assert_eq!(tags.first().unwrap(), "manylinux_2_5_x86_64");
        assert!(tags.contains(&"manylinux_2_28_x86_64".to_string()));
        assert!(!tags.contains(&"manylinux_2_29_x86_64".to_string()));
        for legacy in ["manylinux1", "manylinux2010", "manylinux2014"] {
            assert!(tags.contains(&format!("{legacy}_x86_64")), "{legacy}");
        }
    }

    #[test]
    fn a_version_the_index_lacks_is_named_with_the_versions_it_has() {
        let output = "ERROR: Could not find a version that satisfies the requirement \
                      shap==0.46.0 (from versions: 0.50.0, 0.51.0)\n\
                      ERROR: No matching distribution found for shap==0.46.0\n";
        let error = explain(&PipFailure(output.into()), &base());
        assert_eq!(
            error,
            ResolveError::NotFound {
                requirement: "shap==0.46.0".into(),
                required_by: None,
                available: vec!["0.50.0".into(), "0.51.0".into()],
                other_python: None,
            }
        );
        let text = error.to_string();
        assert!(
            text.starts_with("shap==0.46.0: version not found"),
            "{text}"
        );
        assert!(text.contains("0.50.0, 0.51.0"), "{text}");
    }

    #[test]
    fn a_package_without_a_binary_wheel_says_so() {
        let output = "ERROR: Could not find a version that satisfies the requirement \
                      pyyaml-sdist==5.1 (from versions: none)\n";
        let text = explain(&PipFailure(output.into()), &base()).to_string();
        assert!(
            text.starts_with("pyyaml-sdist==5.1: no binary wheel for CPython 3.11"),
            "{text}"
        );
        assert!(text.contains("never builds from source"), "{text}");
    }

    #[test]
    fn a_dependency_without_a_wheel_names_the_package_that_needs_it() {
        let output = "ERROR: Ignored the following versions that require a different python \
                      version: 3.7 Requires-Python >=3.12\n\
                      ERROR: Could not find a version that satisfies the requirement \
                      nvidia-cuda-nvrtc-cu12==12.8.93; platform_system == \"Linux\" and \
                      platform_machine == \"x86_64\" (from torch) (from versions: none)\n";
        let error = explain(&PipFailure(output.into()), &base());
        let ResolveError::NotFound {
            requirement,
            required_by,
            other_python,
            ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(requirement, "nvidia-cuda-nvrtc-cu12==12.8.93");
        assert_eq!(required_by.as_deref(), Some("torch"));
        assert_eq!(other_python.as_deref(), Some("3.7 Requires-Python >=3.12"));
        assert!(
            error.to_string().starts_with(
                "nvidia-cuda-nvrtc-cu12==12.8.93 (a dependency of torch): no binary wheel"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_pin_against_a_base_wheel_names_the_base_wheel() {
        let output = "ERROR: Cannot install numpy==1.26.4 because these package versions have \
                      conflicting dependencies.\n\n\
                      The conflict is caused by:\n    \
                      The user requested numpy==1.26.4\n    \
                      The user requested (constraint) numpy==2.4.6\n\n\
                      To fix this you could try to:\n";
        let error = explain(&PipFailure(output.into()), &base());
        assert_eq!(
            error,
            ResolveError::Conflict {
                package: "numpy==1.26.4".into(),
                base: vec!["numpy==2.4.6".into()],
                causes: vec!["The user requested numpy==1.26.4".into()],
            }
        );
        assert!(
            error
                .to_string()
                .contains("conflicts with the runner's base wheel numpy==2.4.6"),
            "{error}"
        );
    }

    #[test]
    fn a_dependency_against_a_base_wheel_names_the_base_wheel() {
        // pip 23.2's stdout, then its stderr, for `numba==0.60.0` against numpy 2.4.6.
        let output = "INFO: pip is looking at multiple versions of numba to determine which \
                      version is compatible with other requirements.\n\n\
                      The conflict is caused by:\n    \
                      numba 0.60.0 depends on numpy<2.1 and >=1.22\n    \
                      The user requested (constraint) numpy==2.4.6\n\n\
                      To fix this you could try to:\n\
                      ERROR: Cannot install numba==0.60.0 because these package versions have \
                      conflicting dependencies.\n\
                      ERROR: ResolutionImpossible: for help visit https://example.org/\n";
        let text = explain(&PipFailure(output.into()), &base()).to_string();
        assert_eq!(
            text,
            "numba==0.60.0: conflicts with the runner's base wheel numpy==2.4.6 (python-native \
             keeps the versions of runners/python-native.toml): numba 0.60.0 depends on \
             numpy<2.1 and >=1.22"
        );
    }

    #[test]
    fn anything_else_keeps_pips_error_lines() {
        let output = "Looking in links: /somewhere\nERROR: HTTP error 503 while getting x\n";
        let error = explain(&PipFailure(output.into()), &base());
        let ResolveError::Other { errors, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(errors, ["HTTP error 503 while getting x"]);
    }
}
