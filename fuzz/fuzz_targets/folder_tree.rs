//! Folder intake: any bytes decoded into a folder tree of folders, files, links (to places
//! inside and outside the tree), hard links within it and FIFOs with arbitrary byte names, then taken in.
#![no_main]

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;

#[path = "intake_checks.rs"]
mod intake_checks;

const SECRET: &[u8] = b"a file outside the upload that intake must never copy";

/// A name of 1 to 8 bytes from the input; `/` and NUL cannot be in a name on Linux.
fn name(bytes: &mut std::slice::Iter<u8>) -> Option<std::ffi::OsString> {
    let len = (*bytes.next()? % 8) as usize + 1;
    let raw: Vec<u8> = bytes
        .take(len)
        .map(|&b| if b == b'/' || b == 0 { b'_' } else { b })
        .collect();
    if raw.is_empty() || raw == b"." || raw == b".." {
        return None;
    }
    Some(std::ffi::OsStr::from_bytes(&raw).to_owned())
}

fuzz_target!(|data: &[u8]| {
    let scratch = tempfile::tempdir().unwrap();
    let outside = scratch.path().join("outside");
    std::fs::write(&outside, SECRET).unwrap();
    let root = scratch.path().join("upload");
    std::fs::create_dir(&root).unwrap();
    let mut folders: Vec<PathBuf> = vec![root.clone()];
    let mut files: Vec<PathBuf> = Vec::new();
    let mut bytes = data.iter();
    while let Some(&op) = bytes.next() {
        let Some(parent) = folders.get(op as usize / 8 % folders.len()).cloned() else {
            break;
        };
        let Some(name) = name(&mut bytes) else {
            continue;
        };
        let at = parent.join(&name);
        if at.symlink_metadata().is_ok() || folders.len() + files.len() > 64 {
            continue;
        }
        let made = match op % 8 {
            0 | 1 => std::fs::create_dir(&at).map(|()| folders.push(at.clone())),
            2 | 3 => {
                let len = *bytes.next().unwrap_or(&0) as usize * 16;
                std::fs::write(&at, vec![op; len]).map(|()| files.push(at.clone()))
            }
            4 => std::os::unix::fs::symlink(&outside, &at),
            5 => std::os::unix::fs::symlink(Path::new("../../.."), &at),
            // A hard link is a plain file to whoever reads it (making one to a file outside
            // needs rights to that file already), so only links within the tree.
            6 => match files.first() {
                Some(file) => std::fs::hard_link(file, &at),
                None => continue,
            },
            _ => {
                let c = std::ffi::CString::new(at.as_os_str().as_bytes()).unwrap();
                // SAFETY: a valid NUL-terminated path.
                match unsafe { libc::mkfifo(c.as_ptr(), 0o600) } {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            }
        };
        let _ = made;
    }
    // A FIFO or a link must be refused, never opened or followed: this would hang or leak.
    if let Ok(unpacked) = intake_checks::unpack_and_check(&root, scratch.path()) {
        for file in &unpacked.files {
            let kept = std::fs::read(unpacked.dir.path().join(&file.path)).unwrap();
            assert_ne!(kept, SECRET, "{}", file.path);
        }
    }
});
