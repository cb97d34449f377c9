//! What the archive and folder-tree targets check of anything intake accepts.

use takehome::submission::archive::{Caps, IntakeError, Unpacked, unpack};

/// Small caps keep each input quick; the checks are the same as at the defaults.
pub const CAPS: Caps = Caps {
    max_entries: 200,
    max_total_bytes: 8 << 20,
    max_file_bytes: 4 << 20,
    max_ratio: 200,
};

/// Takes in `source` (a file or a folder) and, when it is accepted, checks that every kept
/// file is a plain file inside the fresh folder under a clean relative path.
pub fn unpack_and_check(
    source: &std::path::Path,
    parent: &std::path::Path,
) -> Result<Unpacked, IntakeError> {
    let unpacked = unpack(source, parent, &CAPS)?;
    for file in &unpacked.files {
        // A name may hold "..", as in "notes..txt"; no component may be "." or ".." or empty.
        assert!(
            !file.path.starts_with('/')
                && file.path.split('/').all(|c| !matches!(c, "" | "." | "..")),
            "{}",
            file.path
        );
        let kept = unpacked.dir.path().join(&file.path);
        let meta = kept.symlink_metadata().unwrap();
        assert!(meta.is_file(), "{} is not a plain file", file.path);
    }
    Ok(unpacked)
}
