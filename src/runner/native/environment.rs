//! A submission's own packages on python-native: what its `requirements.txt` or its imports
//! ask for ([`super::requests`]), resolved to binary wheels beside the runner's base wheels.
//! The base versions are kept wherever a request accepts them, so most submissions share
//! the runner's environment plus a few wheels; a request that needs another version of a
//! base package (`pandas<3`) replaces it. What cannot be resolved is named, never fatal:
//! the run then shows which import is missing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::Digest;

use super::requests::{Request, Requests};
use super::resolve::{self, ResolveError};
use crate::assignment::normalize_package;
use crate::runner::wheels::{LocalWheel, PinnedWheel};

/// The base packages a submission's code is likely to import: asked for again, unpinned,
/// when its requests cannot be resolved beside the base versions, so that they come in
/// versions that fit the requests.
const BASE_TOP_LEVEL: &[&str] = &[
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "xgboost-cpu",
    "ipython",
];

/// At most this many requests are dropped one by one before giving up on the rest.
const MAX_ATTEMPTS: usize = 8;

/// One wheel a submission's environment has beyond (or instead of) the runner's base wheel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub wheel: PinnedWheel,
    /// Where pip left it.
    pub path: PathBuf,
    /// The request that named it; `None` for a dependency.
    pub asked_by: Option<String>,
}

/// The wheels resolved for a submission, and the requests that were not honoured, each
/// with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    pub wheels: Vec<Chosen>,
    pub warnings: Vec<String>,
}

/// Resolves `asked` beside `base`, downloading what is needed into `into`. Requests the
/// base wheels already satisfy cost nothing; the rest are resolved with the base versions
/// as constraints, else (on a conflict) together with the base's main packages unpinned.
pub fn resolve(asked: &Requests, base: &[PinnedWheel], into: &Path) -> Resolution {
    let mut resolution = Resolution {
        wheels: Vec::new(),
        warnings: asked.warnings.clone(),
    };
    let mut pending: Vec<Request> = asked
        .requests
        .iter()
        .filter(|r| !satisfied_by_base(r, base))
        .cloned()
        .collect();
    let mut pinned_base = true;
    for _ in 0..MAX_ATTEMPTS {
        if pending.is_empty() {
            return resolution;
        }
        let mut lines: Vec<String> = pending.iter().map(|r| r.requirement.clone()).collect();
        let constraints: Vec<PinnedWheel> = if pinned_base {
            base.iter()
                .filter(|w| !pending.iter().any(|r| r.name == normalize_package(&w.name)))
                .cloned()
                .collect()
        } else {
            lines.extend(
                BASE_TOP_LEVEL
                    .iter()
                    .filter(|name| !pending.iter().any(|r| r.name == **name))
                    .map(|name| name.to_string()),
            );
            Vec::new()
        };
        let _ = std::fs::remove_dir_all(into);
        match resolve::download(&lines, &constraints, into) {
            Ok(downloaded) => {
                resolution.wheels = chosen(downloaded, &pending, base);
                return resolution;
            }
            Err(failure) => {
                let error = resolve::explain(&failure, base);
                match &error {
                    ResolveError::NotFound {
                        requirement,
                        required_by,
                        ..
                    } => {
                        let culprit = required_by.as_deref().unwrap_or(requirement);
                        let Some(at) = position_of(&pending, culprit) else {
                            return give_up(resolution, &pending, &error.to_string());
                        };
                        let dropped = pending.remove(at);
                        resolution
                            .warnings
                            .push(format!("{}: not installed: {error}", dropped.asked_by));
                    }
                    ResolveError::Conflict { .. } if pinned_base => pinned_base = false,
                    _ => return give_up(resolution, &pending, &error.to_string()),
                }
            }
        }
    }
    give_up(
        resolution,
        &pending,
        "too many requests could not be resolved",
    )
}

/// Whether a base wheel of the request's name has a version the request accepts (extras
/// asked for are then the base's concern: they add packages, never change this one).
fn satisfied_by_base(request: &Request, base: &[PinnedWheel]) -> bool {
    base.iter()
        .any(|w| normalize_package(&w.name) == request.name && request.accepts(&w.version))
}

/// The request that names `requirement`'s package (`shap==9.9`, or a parent `shap`).
fn position_of(pending: &[Request], requirement: &str) -> Option<usize> {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let name = normalize_package(&requirement[..end]);
    pending.iter().position(|r| r.name == name)
}

/// The downloaded wheels that are not a base wheel's version, each with the request that
/// named it.
fn chosen(
    downloaded: Vec<(PinnedWheel, PathBuf)>,
    pending: &[Request],
    base: &[PinnedWheel],
) -> Vec<Chosen> {
    downloaded
        .into_iter()
        .filter(|(wheel, _)| {
            !base
                .iter()
                .any(|b| normalize_package(&b.name) == wheel.name && b.version == wheel.version)
        })
        .map(|(wheel, path)| Chosen {
            asked_by: pending
                .iter()
                .find(|r| r.name == wheel.name)
                .map(|r| r.asked_by.clone()),
            wheel,
            path,
        })
        .collect()
}

fn give_up(mut resolution: Resolution, pending: &[Request], why: &str) -> Resolution {
    let names: Vec<&str> = pending.iter().map(|r| r.requirement.as_str()).collect();
    resolution
        .warnings
        .push(format!("not installed: {} ({why})", names.join(", ")));
    resolution.wheels.clear();
    resolution
}

/// One resolution kept in the cache: the wheels (without paths) and the warnings.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    wheels: Vec<(PinnedWheel, Option<String>)>,
    warnings: Vec<String>,
}

/// The wheels of `asked` for a run outside any workspace (`takehome run`), as files in
/// `cache`: resolved once per set of requests and base wheels
/// (`gvisor/resolutions/KEY.json`), each wheel kept at `gvisor/wheels/SHA256/FILE`.
/// Returns them with the warnings of their resolution.
pub fn cached(
    cache: &Path,
    asked: &Requests,
    base: &[PinnedWheel],
) -> anyhow::Result<(Vec<LocalWheel>, Vec<String>)> {
    let mut key = sha2::Sha256::new();
    for request in &asked.requests {
        key.update(format!("{}\n", request.requirement));
    }
    for wheel in base {
        key.update(format!(
            "base {}=={} {}\n",
            wheel.name, wheel.version, wheel.sha256
        ));
    }
    let record = cache
        .join("gvisor")
        .join("resolutions")
        .join(format!("{}.json", hex::encode(key.finalize())));
    let kept: Option<Kept> = std::fs::read(&record)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let kept = match kept.filter(|k| k.wheels.iter().all(|(w, _)| wheel_path(cache, w).is_file())) {
        Some(kept) => kept,
        None => {
            let scratch = tempfile::tempdir()?;
            let resolution = resolve(asked, base, &scratch.path().join("wheels"));
            for chosen in &resolution.wheels {
                keep(cache, &chosen.wheel, &chosen.path)?;
            }
            let kept = Kept {
                wheels: resolution
                    .wheels
                    .into_iter()
                    .map(|c| (c.wheel, c.asked_by))
                    .collect(),
                warnings: resolution.warnings,
            };
            let json = serde_json::to_vec_pretty(&kept)?;
            crate::base::write_atomically(&record, || Ok(json))?;
            kept
        }
    };
    let wheels = kept
        .wheels
        .into_iter()
        .map(|(pin, asked_by)| LocalWheel {
            path: wheel_path(cache, &pin),
            asked_by: asked_by.unwrap_or_else(|| "dependency".into()),
            pin,
        })
        .collect();
    Ok((wheels, kept.warnings))
}

/// Where the cache keeps the file of `pin`.
fn wheel_path(cache: &Path, pin: &PinnedWheel) -> PathBuf {
    cache
        .join("gvisor")
        .join("wheels")
        .join(&pin.sha256)
        .join(&pin.file)
}

/// Moves a resolved wheel into the cache, under its hash (checked again when pip installs it).
fn keep(cache: &Path, pin: &PinnedWheel, from: &Path) -> anyhow::Result<()> {
    let to = wheel_path(cache, pin);
    if to.is_file() {
        return Ok(());
    }
    let folder = to.parent().expect("a wheel's path has a folder");
    std::fs::create_dir_all(folder).with_context(|| format!("cannot make {}", folder.display()))?;
    let staging = tempfile::NamedTempFile::new_in(folder)?;
    std::fs::copy(from, staging.path())
        .with_context(|| format!("cannot copy {} into the cache", pin.file))?;
    staging
        .persist(&to)
        .with_context(|| format!("cannot keep {}", to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(name: &str, version: &str) -> PinnedWheel {
        PinnedWheel {
            name: name.into(),
            version: version.into(),
            file: format!("{name}-{version}-py3-none-any.whl"),
            sha256: "0".repeat(64),
        }
    }

    fn request(requirement: &str) -> Request {
        Request {
            name: normalize_package(
                requirement
                    .split(['<', '>', '=', '!', '~', '['])
                    .next()
                    .unwrap(),
            ),
            requirement: requirement.into(),
            asked_by: "requirements.txt:1".into(),
        }
    }

    #[test]
    fn requests_the_base_versions_meet_are_satisfied_by_the_base() {
        let base = [wheel("pandas", "3.1.1"), wheel("numpy", "2.4.6")];
        assert!(satisfied_by_base(&request("pandas"), &base));
        assert!(satisfied_by_base(&request("pandas>=2"), &base));
        assert!(satisfied_by_base(&request("numpy==2.4.6"), &base));
        assert!(!satisfied_by_base(&request("pandas<3"), &base));
        assert!(!satisfied_by_base(&request("pandas==1.5.3"), &base));
        assert!(!satisfied_by_base(&request("seaborn"), &base));
    }

    #[test]
    fn a_failure_is_traced_to_the_request_that_named_the_package() {
        let pending = [request("seaborn"), request("shap==0.1")];
        assert_eq!(position_of(&pending, "shap==0.1"), Some(1));
        assert_eq!(position_of(&pending, "seaborn"), Some(0));
        assert_eq!(position_of(&pending, "tbats"), None);
    }
}
