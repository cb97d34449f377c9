//! An assignment's `[runner] packages` on python-native: resolved with their dependencies to
//! binary wheels when the assignment is added ([`super::resolve`]), kept as blobs with the
//! assignment version under `packages/` as pure wheels are, and at run time taken out of
//! the blob store into the cache as files the environment's build installs, hash-checked.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};

use super::resolve;
use crate::assignment::{Pin, WHEELS_UNDER, pinned_wheels};
use crate::base::{FileRef, sha256_file};
use crate::runner::wheels::{LocalWheel, PinnedWheel, wheel_identity};
use crate::store::{AssignmentRow, Blobs};

/// Resolves `pins` and their dependencies to binary wheels for python-native, beside the
/// runner's base wheels, and keeps each wheel that is not a base wheel as a blob. A wheel
/// file this workspace pinned before (`known`) must come back with the same bytes. Returns
/// the files to record with the assignment version, in file-name order.
pub fn pin(pins: &[Pin], known: &[FileRef], blobs: &Blobs) -> anyhow::Result<Vec<FileRef>> {
    let scratch = tempfile::tempdir()?;
    let resolved = resolve::resolve(pins, &super::base_wheels(), scratch.path())?;
    let mut pinned = Vec::new();
    for wheel in &resolved {
        let file = &wheel.wheel.file;
        let path = format!("{WHEELS_UNDER}{file}");
        if let Some(earlier) = known
            .iter()
            .find(|k| k.path == path && k.sha256 != wheel.wheel.sha256)
        {
            bail!(
                "{}=={}: the wheel fetched now ({file}, sha256 {}) is not the one this \
                 workspace pinned (sha256 {}): refusing it",
                wheel.wheel.name,
                wheel.wheel.version,
                wheel.wheel.sha256,
                earlier.sha256
            );
        }
        let stored = blobs.put_file(&wheel.path)?;
        anyhow::ensure!(
            stored == wheel.wheel.sha256,
            "{file} changed while it was stored"
        );
        pinned.push(FileRef {
            path,
            bytes: std::fs::metadata(&wheel.path)?.len(),
            sha256: stored,
        });
    }
    Ok(pinned)
}

/// The wheels of `row` (an assignment version) for a python-native run, as files on this
/// machine: `$TAKEHOME_CACHE/gvisor/wheels/SHA256/FILE`, made from the blob once and checked
/// against the pin when made (pip checks every byte again when it installs them).
pub fn local_wheels(blobs: &Blobs, row: &AssignmentRow) -> anyhow::Result<Vec<LocalWheel>> {
    local_in(
        &crate::base::cache_dir(),
        blobs,
        &pinned_wheels(row)?,
        "assignment",
    )
}

/// Stored wheels (`packages/FILE` refs) as files in `cache`, each installed for `asked_by`.
pub fn local_in(
    cache: &Path,
    blobs: &Blobs,
    files: &[FileRef],
    asked_by: &str,
) -> anyhow::Result<Vec<LocalWheel>> {
    let mut local = Vec::new();
    for file in files {
        let name = file.path.trim_start_matches(WHEELS_UNDER);
        let (package, version) = wheel_identity(name)
            .with_context(|| format!("the stored {} is not named as a wheel is", file.path))?;
        let pin = PinnedWheel {
            name: package,
            version,
            file: name.to_string(),
            sha256: file.sha256.clone(),
        };
        let path = materialize(cache, blobs, &pin)?;
        local.push(LocalWheel {
            pin,
            path,
            asked_by: asked_by.to_string(),
        });
    }
    Ok(local)
}

/// The file of `pin` in the cache, taken out of the blob store on first use: hard-linked
/// (copied across file systems, or written from a database-backed store), checked against
/// the pin before it is put in place.
fn materialize(cache: &Path, blobs: &Blobs, pin: &PinnedWheel) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        !pin.file.contains('/') && pin.file.ends_with(".whl"),
        "the stored wheel name {:?} is not a plain file name",
        pin.file
    );
    anyhow::ensure!(
        crate::store::blobs::is_sha256(&pin.sha256),
        "the stored wheel {} has no sha256",
        pin.file
    );
    let folder = cache.join("gvisor").join("wheels").join(&pin.sha256);
    let path = folder.join(&pin.file);
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot make {}", folder.display()))?;
    // Unique per call: the runs of one `evaluate --jobs N` share the process.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let staging = folder.join(format!(
        ".{}.{}-{}",
        pin.file,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&staging);
    let blob = blobs.path(&pin.sha256);
    if !blob.is_file() || std::fs::hard_link(&blob, &staging).is_err() {
        if blob.is_file() {
            std::fs::copy(&blob, &staging)
                .with_context(|| format!("cannot copy the blob of {}", pin.file))?;
        } else {
            std::fs::write(&staging, blobs.get(&pin.sha256)?)?;
        }
    }
    let actual = sha256_file(&staging)?;
    if actual != pin.sha256 {
        let _ = std::fs::remove_file(&staging);
        bail!(
            "the stored wheel {} has sha256 {actual}, but the assignment pinned it to {}: \
             refusing it",
            pin.file,
            pin.sha256
        );
    }
    std::fs::rename(&staging, &path).with_context(|| format!("cannot keep {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(blobs: &Blobs, file: &str, bytes: &[u8]) -> FileRef {
        FileRef {
            path: format!("{WHEELS_UNDER}{file}"),
            bytes: bytes.len() as u64,
            sha256: blobs.put(bytes).unwrap(),
        }
    }

    #[test]
    fn stored_wheels_become_files_named_as_wheels_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("blobs")).unwrap();
        let file = "shap-0.51.0-cp311-cp311-manylinux_2_28_x86_64.whl";
        let files = vec![stored(&blobs, file, b"wheel bytes")];
        let cache = dir.path().join("cache");
        let local = local_in(&cache, &blobs, &files, "assignment").unwrap();
        assert_eq!(local.len(), 1);
        assert_eq!(local[0].pin.name, "shap");
        assert_eq!(local[0].pin.version, "0.51.0");
        assert!(local[0].path.ends_with(file), "{:?}", local[0].path);
        assert_eq!(std::fs::read(&local[0].path).unwrap(), b"wheel bytes");
        assert_eq!(
            local_in(&cache, &blobs, &files, "assignment").unwrap(),
            local
        );
    }

    #[test]
    fn a_stored_wheel_whose_bytes_differ_from_its_pin_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("blobs")).unwrap();
        let mut file = stored(&blobs, "x-1.0-py3-none-any.whl", b"one");
        // The pin names other bytes than the blob the store keeps under that name.
        let other = blobs.put(b"two").unwrap();
        std::fs::remove_file(blobs.path(&other)).unwrap();
        std::fs::hard_link(blobs.path(&file.sha256), blobs.path(&other)).unwrap();
        file.sha256 = other;
        let error = local_in(&dir.path().join("cache"), &blobs, &[file], "assignment")
            .unwrap_err()
            .to_string();
        assert!(error.contains("x-1.0-py3-none-any.whl"), "{error}");
        assert!(error.contains("pinned it to"), "{error}");
    }
}
