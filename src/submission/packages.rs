//! A python-native submission's own packages, when its assignment allows them
//! (`allow_requirements`): what its `requirements.txt` or its imports ask for, resolved to
//! binary wheels at intake and kept as blobs with the version, so that every run and rerun
//! installs the same bytes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::assignment::WHEELS_UNDER;
use crate::base::FileRef;
use crate::runner::native::{self, environment, requests, venv::Interpreter};
use crate::runner::wheels::LocalWheel;
use crate::store::Blobs;

/// One wheel kept with a submission version (recorded as `packages/FILE`, as an
/// assignment's are).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnPackage {
    #[serde(flatten)]
    pub file: FileRef,
    /// The request that named it (`requirements.txt:3`, `import seaborn (main.py:2)`), or
    /// `dependency`.
    pub asked_by: String,
}

/// Resolves what the submission in `root` (first entry `entry`) asks for beside the
/// runner's base wheels and keeps each wheel as a blob. Returns the wheels and the
/// requests that were not honoured, each with why (for the version's warnings).
pub fn resolve(
    root: &Path,
    entry: Option<&Path>,
    blobs: &Blobs,
) -> anyhow::Result<(Vec<OwnPackage>, Vec<String>)> {
    let interpreter = Interpreter::find()?;
    let asked = requests::requests_for(root, entry, &interpreter.executable)?;
    let scratch = tempfile::tempdir()?;
    let resolution = environment::resolve(&asked, &native::base_wheels(), scratch.path());
    let mut kept = Vec::new();
    for chosen in &resolution.wheels {
        let sha256 = blobs.put_file(&chosen.path)?;
        anyhow::ensure!(
            sha256 == chosen.wheel.sha256,
            "{} changed while it was stored",
            chosen.wheel.file
        );
        kept.push(OwnPackage {
            file: FileRef {
                path: format!("{WHEELS_UNDER}{}", chosen.wheel.file),
                bytes: std::fs::metadata(&chosen.path)?.len(),
                sha256,
            },
            asked_by: chosen
                .asked_by
                .clone()
                .unwrap_or_else(|| "dependency".into()),
        });
    }
    Ok((kept, resolution.warnings))
}

/// The stored wheels of a submission version as files on this machine, for its runs.
pub fn local_wheels(blobs: &Blobs, packages: &[OwnPackage]) -> anyhow::Result<Vec<LocalWheel>> {
    let cache = crate::base::cache_dir();
    let mut wheels = Vec::new();
    for package in packages {
        let file = std::slice::from_ref(&package.file);
        wheels.extend(native::packages::local_in(
            &cache,
            blobs,
            file,
            &package.asked_by,
        )?);
    }
    Ok(wheels)
}
