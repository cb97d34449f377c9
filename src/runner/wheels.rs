//! Wheels: pinned by sha256. Pure-Python wheels for the Python runner are fetched with pip by
//! exact pin, checked against their pinned sha256, refused when they carry compiled code, and
//! unpacked safely into a folder the guest sees on `sys.path`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::base::sha256_file;

/// A wheel pinned by name, version and the sha256 of its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedWheel {
    pub name: String,
    pub version: String,
    /// The wheel's file name, e.g. `traitlets-5.16.1-py3-none-any.whl`.
    pub file: String,
    pub sha256: String,
}

impl PinnedWheel {
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// A pinned wheel whose file is on this machine (an assignment's or a submission's
/// python-native package, taken out of the blob store or the cache): installed from
/// `path`, checked against `pin.sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalWheel {
    pub pin: PinnedWheel,
    /// The wheel's file, named as the wheel (`pin.file`).
    pub path: PathBuf,
    /// Why it is installed: `assignment`, `dependency`, or the submission's request that
    /// named it (`requirements.txt:3`, `import seaborn (main.py:2)`).
    pub asked_by: String,
}

/// The `(normalised name, version)` a wheel's file name states (`kneed-0.8.5-py3-none-any.whl`,
/// `python_dateutil-4.0.0-py3-none-any.whl` is `python-dateutil`).
pub fn wheel_identity(file: &str) -> Option<(String, String)> {
    let mut parts = file.strip_suffix(".whl")?.split('-');
    let name = parts.next()?;
    let version = parts.next()?;
    Some((
        crate::assignment::normalize_package(name),
        version.to_string(),
    ))
}

/// Downloads the wheels of `requirements` (each `name==version`) into `into` with pip,
/// taking only wheels built for any platform, so nothing compiled can come in. Returns the
/// files pip left, in its order. A requirement with only compiled wheels fails here, named.
pub fn download(requirements: &[String], into: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if requirements.is_empty() {
        return Ok(Vec::new());
    }
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "any",
            "--python-version",
            "3.15",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(requirements)
        .arg("-d")
        .arg(into)
        .stdin(Stdio::null())
        .output()
        .context("cannot run `python3 -m pip`; pip is needed to fetch pure-Python wheels")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| l.contains("ERROR"))
            .unwrap_or("pip failed")
            .trim();
        bail!(
            "cannot fetch a pure-Python wheel for {}: {reason} (a package that ships only \
             compiled wheels cannot run in the sandbox)",
            requirements.join(", ")
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(into)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    files.sort();
    Ok(files)
}

/// Checks `path` against `pin` (file name and sha256) and that it holds no compiled code.
pub fn verify(path: &Path, pin: &PinnedWheel) -> anyhow::Result<()> {
    let actual = sha256_file(path)?;
    if actual != pin.sha256 {
        bail!(
            "{} has sha256 {actual}, but {} is pinned to {}; nothing was installed",
            path.display(),
            pin.requirement(),
            pin.sha256
        );
    }
    check_pure(path)
}

/// Refuses a wheel whose tags or contents show compiled code: only `none-any` wheels with
/// no extension modules or shared libraries run in the sandbox.
pub fn check_pure(path: &Path) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.ends_with("-none-any.whl") {
        bail!(
            "{name} is built for a specific platform (compiled code): it cannot run in the sandbox"
        );
    }
    let archive = zip::ZipArchive::new(File::open(path)?)
        .with_context(|| format!("{name} is not a readable wheel"))?;
    const COMPILED: [&str; 5] = [".so", ".pyd", ".dylib", ".dll", ".wasm"];
    if let Some(binary) = archive
        .file_names()
        .map(|entry| entry.map(|e| e.into_owned()).unwrap_or_default())
        .find(|entry| COMPILED.iter().any(|ext| entry.ends_with(ext)))
    {
        bail!("{name} contains compiled code ({binary}): it cannot run in the sandbox");
    }
    Ok(())
}

/// Unpacks a wheel into `into`, refusing absolute paths, `..` and links.
pub fn unpack(path: &Path, into: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(File::open(path)?)
        .with_context(|| format!("{} is not a readable wheel", path.display()))?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let Some(relative) = entry.enclosed_name() else {
            bail!("{} holds an unsafe path {:?}", path.display(), entry.name());
        };
        if entry.is_symlink() {
            bail!("{} holds a link {:?}", path.display(), entry.name());
        }
        let target = into.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::io::copy(&mut entry, &mut File::create(&target)?)?;
        }
    }
    Ok(())
}

/// Fetches every pinned wheel (or takes it from `from` when it is already there), checks it
/// and unpacks it into `site`.
pub fn provision(pins: &[PinnedWheel], from: &Path, site: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(site)?;
    let missing: Vec<String> = pins
        .iter()
        .filter(|pin| !from.join(&pin.file).is_file())
        .map(PinnedWheel::requirement)
        .collect();
    download(&missing, from)?;
    for pin in pins {
        let path = from.join(&pin.file);
        anyhow::ensure!(
            path.is_file(),
            "pip did not leave {} for {}",
            pin.file,
            pin.requirement()
        );
        verify(&path, pin)?;
        unpack(&path, site)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel_with(entries: &[&str], dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        for entry in entries {
            zip.start_file(*entry, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, b"x = 1\n").unwrap();
        }
        zip.finish().unwrap();
        path
    }

    #[test]
    fn a_platform_wheel_is_refused_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel_with(
            &["fast/__init__.py"],
            dir.path(),
            "fast-1.0-cp315-cp315-wasi.whl",
        );
        let error = check_pure(&path).unwrap_err().to_string();
        assert!(error.contains("compiled code"), "{error}");
    }

    #[test]
    fn a_none_any_wheel_with_a_shared_library_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel_with(
            &["sneaky/__init__.py", "sneaky/_speedups.so"],
            dir.path(),
            "sneaky-1.0-py3-none-any.whl",
        );
        let error = check_pure(&path).unwrap_err().to_string();
        assert!(error.contains("sneaky/_speedups.so"), "{error}");
    }

    #[test]
    fn a_wheel_whose_hash_differs_from_its_pin_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel_with(&["ok/__init__.py"], dir.path(), "ok-1.0-py3-none-any.whl");
        let pin = PinnedWheel {
            name: "ok".into(),
            version: "1.0".into(),
            file: "ok-1.0-py3-none-any.whl".into(),
            sha256: "0".repeat(64),
        };
        let error = verify(&path, &pin).unwrap_err().to_string();
        assert!(error.contains("is pinned to"), "{error}");
    }

    #[test]
    fn a_pure_wheel_unpacks_into_the_site_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel_with(
            &["ok/__init__.py", "ok-1.0.dist-info/METADATA"],
            dir.path(),
            "ok-1.0-py3-none-any.whl",
        );
        check_pure(&path).unwrap();
        let site = dir.path().join("site");
        unpack(&path, &site).unwrap();
        assert_eq!(
            std::fs::read_to_string(site.join("ok/__init__.py")).unwrap(),
            "x = 1\n"
        );
    }
}
