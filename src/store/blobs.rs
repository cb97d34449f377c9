//! The content-addressed blob store: files named by their sha256, written whole or not at all.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// Blobs under `root/ab/cdef…`. A blob is written to a temporary file, synced, then renamed,
/// so a crash leaves either the whole blob or none of it.
#[derive(Clone, Debug)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    pub fn open(root: &Path) -> anyhow::Result<Blobs> {
        std::fs::create_dir_all(root.join("tmp"))
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Blobs {
            root: root.to_path_buf(),
        })
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        let (head, tail) = sha256.split_at(2.min(sha256.len()));
        self.root.join(head).join(tail)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        is_sha256(sha256) && self.path(sha256).is_file()
    }

    /// Stores `bytes`, returning their sha256.
    pub fn put(&self, bytes: &[u8]) -> anyhow::Result<String> {
        self.put_reader(&mut &bytes[..])
    }

    /// Stores a file's content, returning its sha256.
    pub fn put_file(&self, path: &Path) -> anyhow::Result<String> {
        let mut file =
            File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        self.put_reader(&mut file)
    }

    fn put_reader(&self, reader: &mut dyn Read) -> anyhow::Result<String> {
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp"))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0; 256 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
        }
        let sha256 = hex::encode(hasher.finalize());
        let target = self.path(&sha256);
        if target.is_file() {
            return Ok(sha256);
        }
        tmp.as_file().sync_all()?;
        let dir = target.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir)?;
        tmp.persist(&target)?;
        File::open(dir)?.sync_all()?;
        Ok(sha256)
    }

    pub fn get(&self, sha256: &str) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(is_sha256(sha256), "`{sha256}` is not a sha256");
        std::fs::read(self.path(sha256))
            .with_context(|| format!("blob {sha256} is missing from {}", self.root.display()))
    }
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_deduplicate() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let a = blobs.put(b"hello").unwrap();
        assert_eq!(
            a,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(blobs.put(b"hello").unwrap(), a);
        assert_eq!(blobs.get(&a).unwrap(), b"hello");
        assert!(blobs.get("../../etc/passwd").is_err());
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
