//! `content_hash`: a digest of an assignment's content, which any change to it alters.

use std::fs;
use std::path::Path;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// Identifies the hashing scheme, so a change to it cannot pass for the same content.
const SCHEME: &[u8] = b"takehome assignment content v1\n";

/// The files that make up the assignment's content, as (relative `/`-separated path, path on
/// disk), sorted by relative path: what [`content_hash`] hashes and what a workspace keeps.
pub fn content_files(dir: &Path) -> anyhow::Result<Vec<(String, std::path::PathBuf)>> {
    let mut files = Vec::new();
    for (name, required) in [
        ("assignment.toml", true),
        ("brief.md", true),
        ("generate.py", false),
    ] {
        match fs::symlink_metadata(dir.join(name)) {
            Ok(_) => collect(dir, name, &mut files)?,
            Err(_) if !required => {}
            Err(e) => return Err(e).with_context(|| format!("{}", dir.join(name).display())),
        }
    }
    for (name, required) in [
        ("data", true),
        ("hidden", true),
        ("starter", false),
        ("scoring", false),
    ] {
        let path = dir.join(name);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => collect(dir, name, &mut files)?,
            Ok(m) if m.is_symlink() => bail!(
                "{} is a symbolic link: refusing to follow it",
                path.display()
            ),
            Ok(_) => bail!("{} is not a folder", path.display()),
            Err(_) if !required => {}
            Err(e) => return Err(e).with_context(|| format!("{}", path.display())),
        }
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|rel| {
            let path = dir.join(&rel);
            (rel, path)
        })
        .collect())
}

/// The SHA-256 (64 lowercase hex digits) of the assignment's content: `assignment.toml`,
/// `brief.md`, `data/**`, `hidden/**`, and `starter/**`, `scoring/**` and `generate.py` if
/// present; not
/// `examples/` or anything else. It hashes, in order of relative path (`/`-separated), each
/// file's path and the SHA-256 of its bytes, so it does not depend on timestamps or
/// listing order. Fails on a missing required part and on any symbolic link or special file
/// inside the folder (links are never followed).
pub fn content_hash(dir: &Path) -> anyhow::Result<String> {
    let mut files = Vec::new();
    for (rel, path) in content_files(dir)? {
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        files.push((rel, hex::encode(Sha256::digest(&bytes))));
    }
    let mut hasher = Sha256::new();
    hasher.update(SCHEME);
    for (rel, digest) in &files {
        hasher.update(rel.as_bytes());
        hasher.update(b"\0");
        hasher.update(digest.as_bytes());
        hasher.update(b"\n");
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Adds the relative path `rel` under `dir` if it is a file, or every file below it if a folder.
fn collect(dir: &Path, rel: &str, files: &mut Vec<String>) -> anyhow::Result<()> {
    let path = dir.join(rel);
    let meta = fs::symlink_metadata(&path).with_context(|| format!("{}", path.display()))?;
    if meta.is_symlink() {
        bail!(
            "{} is a symbolic link: refusing to follow it",
            path.display()
        );
    } else if meta.is_file() {
        files.push(rel.to_string());
    } else if meta.is_dir() {
        for entry in fs::read_dir(&path).with_context(|| format!("listing {}", path.display()))? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else {
                bail!("{} holds a file whose name is not UTF-8", path.display());
            };
            collect(dir, &format!("{rel}/{name}"), files)?;
        }
    } else {
        bail!("{} is not a plain file or folder", path.display());
    }
    Ok(())
}
