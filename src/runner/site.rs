//! An assignment's extra pure-Python packages (`[runner] packages`): pinned to wheels when the
//! assignment is added, and unpacked into the folder its runs see at `/usr/local/site`.
//!
//! The wheels are kept as blobs and recorded with the assignment version, in its file list,
//! under `packages/` (never given to candidates, never part of the content hash). The pin of
//! a `name==version` is the sha256 of the wheel first fetched for it in the workspace: a later
//! fetch that gives other bytes is refused.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::wheels::{self, wheel_identity};
use crate::assignment::{PackageTarget, Pin};
use crate::base::FileRef;
use crate::base::sha256_file;
use crate::store::{AssignmentRow, Blobs};

pub use crate::assignment::{WHEELS_UNDER, pinned_wheels};

/// Resolves an assignment's pins for `target` and keeps the wheels as blobs (the
/// `PinPackages` of `assignment add`): pure-Python wheels each alone ([`pin_pure`]), or
/// binary wheels with their dependencies for python-native ([`super::native::packages::pin`]).
/// `known`: the wheel files of every stored assignment version.
pub fn pin(
    pins: &[Pin],
    target: PackageTarget,
    known: &[FileRef],
    blobs: &Blobs,
) -> anyhow::Result<Vec<FileRef>> {
    match target {
        PackageTarget::PurePython => pin_pure(pins, known, blobs),
        PackageTarget::Native => super::native::packages::pin(pins, known, blobs),
    }
}

/// Resolves each pin to a pure-Python wheel with pip, refuses one with compiled code naming
/// it, checks it against the workspace's earlier pin of the same `name==version` (`known`:
/// the wheel files of every stored assignment version), and keeps it as a blob. Returns the
/// files to record with the assignment version.
pub fn pin_pure(pins: &[Pin], known: &[FileRef], blobs: &Blobs) -> anyhow::Result<Vec<FileRef>> {
    let scratch = tempfile::tempdir()?;
    let mut pinned = Vec::new();
    for (i, pin) in pins.iter().enumerate() {
        let into = scratch.path().join(i.to_string());
        std::fs::create_dir_all(&into)?;
        let fetched = wheels::download(&[pin.to_string()], &into)?;
        let [wheel] = fetched.as_slice() else {
            bail!(
                "{pin}: pip left {} wheels where one was expected",
                fetched.len()
            );
        };
        let file = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{pin}: pip left a wheel without a name"))?
            .to_string();
        if wheel_identity(&file) != Some((pin.normalized(), pin.version.clone())) {
            bail!("{pin}: pip left {file}, which is not that package and version");
        }
        wheels::check_pure(wheel).map_err(|e| anyhow::anyhow!("{pin}: {e}"))?;
        let sha256 = sha256_file(wheel)?;
        let earlier = known.iter().find(|k| {
            k.path
                .strip_prefix(WHEELS_UNDER)
                .and_then(wheel_identity)
                .is_some_and(|id| id == (pin.normalized(), pin.version.clone()))
        });
        if let Some(earlier) = earlier.filter(|e| e.sha256 != sha256) {
            bail!(
                "{pin}: the wheel fetched now ({file}, sha256 {sha256}) is not the one this \
                 workspace pinned ({}, sha256 {}): refusing it",
                earlier.path.trim_start_matches(WHEELS_UNDER),
                earlier.sha256
            );
        }
        let stored = blobs.put_file(wheel)?;
        anyhow::ensure!(stored == sha256, "{file} changed while it was stored");
        pinned.push(FileRef {
            path: format!("{WHEELS_UNDER}{file}"),
            bytes: std::fs::metadata(wheel)?.len(),
            sha256,
        });
    }
    Ok(pinned)
}

/// The host folder for `Invocation.site` of a run of this assignment version: its extra
/// pure-Python packages unpacked (wheels with compiled code, pinned for python-native, are
/// left out), or `None` when it has none. Made once per set of wheels in the cache
/// (`$TAKEHOME_CACHE/sites/DIGEST`), after checking every wheel's blob against its pin.
pub fn site_for(blobs: &Blobs, row: &AssignmentRow) -> anyhow::Result<Option<PathBuf>> {
    site_in(&crate::base::cache_dir(), blobs, row)
}

fn site_in(cache: &Path, blobs: &Blobs, row: &AssignmentRow) -> anyhow::Result<Option<PathBuf>> {
    let wheels_pinned = pinned_wheels(row)?;
    if wheels_pinned.is_empty() {
        return Ok(None);
    }
    let mut digest = Sha256::new();
    for wheel in &wheels_pinned {
        digest.update(format!("{}\0{}\n", wheel.path, wheel.sha256));
    }
    let sites = cache.join("sites");
    let site = sites.join(hex::encode(digest.finalize()));
    if site.is_dir() {
        return Ok(Some(site));
    }
    std::fs::create_dir_all(&sites)
        .with_context(|| format!("cannot create {}", sites.display()))?;
    let staging = tempfile::tempdir_in(&sites)?;
    let downloads = staging.path().join("wheels");
    let unpacked = staging.path().join("site");
    std::fs::create_dir_all(&downloads)?;
    for wheel in &wheels_pinned {
        // Platform wheels (python-native's) are not read at all: torch's are gigabytes.
        if !wheel.path.ends_with("-none-any.whl") {
            continue;
        }
        let bytes = blobs.get(&wheel.sha256)?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != wheel.sha256 {
            bail!(
                "the stored wheel {} has sha256 {actual}, but the assignment pinned it to {}: refusing it",
                wheel.path,
                wheel.sha256
            );
        }
        let file = downloads.join(wheel.path.trim_start_matches(WHEELS_UNDER));
        std::fs::write(&file, &bytes)?;
        // A wheel with compiled code is pinned only for python-native (the assignment's
        // runner or fallback): the WebAssembly runner sees the pure ones.
        if wheels::check_pure(&file).is_ok() {
            wheels::unpack(&file, &unpacked)?;
        }
    }
    match std::fs::rename(&unpacked, &site) {
        Ok(()) => Ok(Some(site)),
        // Another run made the same folder first.
        Err(_) if site.is_dir() => Ok(Some(site)),
        Err(e) => Err(e).with_context(|| format!("cannot make {}", site.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names_state_the_package_and_version() {
        assert_eq!(
            wheel_identity("imbalanced_learn-0.12.4-py3-none-any.whl"),
            Some(("imbalanced-learn".into(), "0.12.4".into()))
        );
        assert_eq!(wheel_identity("kneed.whl"), None);
    }

    fn row_with(blobs: &Blobs, wheel: &[u8], pinned_sha: Option<&str>) -> AssignmentRow {
        let sha256 = blobs.put(wheel).unwrap();
        let files = vec![FileRef {
            path: format!("{WHEELS_UNDER}ok-1.0-py3-none-any.whl"),
            bytes: wheel.len() as u64,
            sha256: pinned_sha.unwrap_or(&sha256).to_string(),
        }];
        AssignmentRow {
            content_hash: "0".repeat(64),
            id: "a".into(),
            revision: 1,
            version: "1.0.0".into(),
            title: "A".into(),
            manifest: "{}".into(),
            files: serde_json::to_string(&files).unwrap(),
            added_at: 0,
        }
    }

    fn wheel() -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("ok/__init__.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, b"VALUE = 42\n").unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn the_site_holds_the_unpacked_wheels_and_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("blobs")).unwrap();
        let row = row_with(&blobs, &wheel(), None);
        let cache = dir.path().join("cache");
        let site = site_in(&cache, &blobs, &row).unwrap().unwrap();
        assert_eq!(
            std::fs::read_to_string(site.join("ok/__init__.py")).unwrap(),
            "VALUE = 42\n"
        );
        assert_eq!(site_in(&cache, &blobs, &row).unwrap().unwrap(), site);
        assert_eq!(std::fs::read_dir(cache.join("sites")).unwrap().count(), 1);
    }

    #[test]
    fn a_stored_wheel_that_does_not_match_its_pin_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("blobs")).unwrap();
        let row = row_with(&blobs, &wheel(), None);
        // Tamper with the blob's bytes behind the store's back.
        let sha = &pinned_wheels(&row).unwrap()[0].sha256;
        let path = blobs.path(sha);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, b"not the wheel").unwrap();
        let error = site_in(&dir.path().join("cache"), &blobs, &row)
            .unwrap_err()
            .to_string();
        assert!(error.contains("ok-1.0-py3-none-any.whl"), "{error}");
        assert!(error.contains("pinned it to"), "{error}");
    }

    #[test]
    fn platform_wheels_pinned_for_python_native_are_left_out_of_the_site() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("blobs")).unwrap();
        let mut row = row_with(&blobs, &wheel(), None);
        let mut files: Vec<FileRef> = row.decode_files().unwrap();
        files.push(FileRef {
            path: format!("{WHEELS_UNDER}fast-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
            bytes: 4,
            sha256: blobs.put(b"fast").unwrap(),
        });
        row.files = serde_json::to_string(&files).unwrap();
        let site = site_in(&dir.path().join("cache"), &blobs, &row)
            .unwrap()
            .unwrap();
        assert!(site.join("ok/__init__.py").is_file());
        assert_eq!(std::fs::read_dir(&site).unwrap().count(), 1);
    }

    #[test]
    fn an_assignment_without_packages_has_no_site() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("blobs")).unwrap();
        let mut row = row_with(&blobs, &wheel(), None);
        row.files = "[]".into();
        assert_eq!(
            site_in(&dir.path().join("cache"), &blobs, &row).unwrap(),
            None
        );
    }
}
