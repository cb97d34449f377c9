//! Entry-name rules, and the map that catches duplicates and case collisions.

use std::collections::HashMap;

use super::IntakeError;

/// Longest accepted entry name; also bounds the memory the collision map can take.
const MAX_NAME_BYTES: usize = 1024;
const MAX_COMPONENT_BYTES: usize = 255;

/// Checks a raw entry name and returns it normalised: no leading `./`, no trailing `/`.
/// An empty result names the submission folder itself (tar's `./`).
pub(super) fn clean(raw: &[u8]) -> Result<String, IntakeError> {
    let Ok(name) = std::str::from_utf8(raw) else {
        return Err(IntakeError::NotUtf8 {
            entry: raw.escape_ascii().to_string(),
        });
    };
    let bad = |why| {
        Err(IntakeError::BadPath {
            entry: name.to_string(),
            why,
        })
    };
    if name.contains('\0') {
        return bad("holds a NUL byte");
    }
    if name.contains('\\') {
        return bad("holds a backslash (only / may separate folders)");
    }
    if name.starts_with('/') {
        return bad("is an absolute path (only relative paths are allowed)");
    }
    if let [drive, b':', ..] = name.as_bytes()
        && drive.is_ascii_alphabetic()
    {
        return bad("starts with a Windows drive (only relative paths are allowed)");
    }
    if name.len() > MAX_NAME_BYTES {
        return bad("is longer than 1024 bytes");
    }
    let mut rest = name;
    while let Some(after) = rest.strip_prefix("./") {
        rest = after;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest == "." {
        return Ok(String::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.contains(&"..") {
        return bad("escapes the submission folder (.. is not allowed)");
    }
    if parts.iter().any(|p| p.bytes().all(|b| b == b'.')) {
        return bad("has an empty or dot-only path component");
    }
    if parts.iter().any(|p| p.len() > MAX_COMPONENT_BYTES) {
        return bad("has a path component longer than 255 bytes");
    }
    Ok(rest.to_string())
}

struct Seen {
    spelling: String,
    is_dir: bool,
    /// A folder named by its own entry, not only implied by a path inside it.
    explicit: bool,
}

/// Every path seen so far (and every folder its path implies), keyed case-insensitively.
pub(super) struct Names {
    seen: HashMap<String, Seen>,
    limit: u64,
}

impl Names {
    pub(super) fn new(limit: u64) -> Self {
        Names {
            seen: HashMap::new(),
            limit,
        }
    }

    /// Records a cleaned path; returns the folders that must now be created, parents first.
    pub(super) fn claim(&mut self, path: &str, is_dir: bool) -> Result<Vec<String>, IntakeError> {
        let mut new_dirs = Vec::new();
        for (end, _) in path.match_indices('/') {
            let parent = &path[..end];
            match self.seen.get(&fold(parent)) {
                None => {
                    self.insert(parent, true, false)?;
                    new_dirs.push(parent.to_string());
                }
                Some(seen) => same_folder(seen, parent)?,
            }
        }
        match self.seen.get_mut(&fold(path)) {
            None => {
                self.insert(path, is_dir, true)?;
                if is_dir {
                    new_dirs.push(path.to_string());
                }
            }
            Some(seen) if seen.spelling != path => return Err(case(seen, path)),
            Some(seen) if seen.is_dir != is_dir => {
                return Err(IntakeError::FileAndFolder {
                    entry: path.to_string(),
                });
            }
            // A folder first implied by a file inside it may still have its own entry, once.
            Some(seen) if is_dir && !seen.explicit => seen.explicit = true,
            Some(_) => {
                return Err(IntakeError::Duplicate {
                    entry: path.to_string(),
                });
            }
        }
        Ok(new_dirs)
    }

    fn insert(&mut self, path: &str, is_dir: bool, explicit: bool) -> Result<(), IntakeError> {
        if self.seen.len() as u64 >= self.limit {
            return Err(IntakeError::TooManyEntries { limit: self.limit });
        }
        let seen = Seen {
            spelling: path.to_string(),
            is_dir,
            explicit,
        };
        self.seen.insert(fold(path), seen);
        Ok(())
    }
}

fn same_folder(seen: &Seen, parent: &str) -> Result<(), IntakeError> {
    if seen.spelling != parent {
        Err(case(seen, parent))
    } else if !seen.is_dir {
        Err(IntakeError::FileAndFolder {
            entry: parent.to_string(),
        })
    } else {
        Ok(())
    }
}

fn case(seen: &Seen, path: &str) -> IntakeError {
    IntakeError::CaseCollision {
        first: seen.spelling.clone(),
        second: path.to_string(),
    }
}

/// Unicode lowercase (which covers ASCII): what a case-insensitive file system compares.
fn fold(path: &str) -> String {
    path.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(raw: &[u8]) -> String {
        match clean(raw) {
            Err(e) => e.to_string(),
            Ok(p) => panic!("{raw:?} was accepted as {p:?}"),
        }
    }

    #[test]
    fn good_names_are_normalised() {
        assert_eq!(clean(b"a/b.txt").unwrap(), "a/b.txt");
        assert_eq!(clean(b"./a/b.txt").unwrap(), "a/b.txt");
        assert_eq!(clean(b"dir/").unwrap(), "dir");
        assert_eq!(clean(b"./").unwrap(), "");
        assert_eq!(clean(b".hidden/..x").unwrap(), ".hidden/..x");
        assert_eq!(clean("données/é.md".as_bytes()).unwrap(), "données/é.md");
    }

    #[test]
    fn hostile_names_are_refused_with_the_reason() {
        assert!(why(b"../../etc/x").contains("escapes the submission folder"));
        assert!(why(b"a/../../x").contains("escapes"));
        assert!(why(b"/etc/passwd").contains("absolute"));
        assert!(why(b"C:/x").contains("Windows drive"));
        assert!(why(b"c:x").contains("Windows drive"));
        assert!(why(b"a\\..\\x").contains("backslash"));
        assert!(why(b"a\0b").contains("NUL"));
        assert!(why(b"a//b").contains("empty or dot-only"));
        assert!(why(b"a/./b").contains("empty or dot-only"));
        assert!(why(b"a/.../b").contains("empty or dot-only"));
        assert!(why(&[b'a'; 2000]).contains("longer than 1024"));
        assert!(why(&[b'a'; 300]).contains("longer than 255"));
        assert_eq!(
            why(b"bad\xff.txt"),
            r#"entry name is not UTF-8: "bad\xff.txt""#
        );
    }

    #[test]
    fn collisions_are_caught() {
        let mut names = Names::new(100);
        assert_eq!(names.claim("a/b/c.txt", false).unwrap(), ["a", "a/b"]);
        assert!(
            names.claim("a/b", true).unwrap().is_empty(),
            "explicit entry for implied folder"
        );
        let dup = names.claim("a/b", true).unwrap_err().to_string();
        assert!(dup.contains("\"a/b\" appears more than once"), "{dup}");
        let case = names.claim("A/x", false).unwrap_err().to_string();
        assert_eq!(case, r#"entries "a" and "A" differ only in case"#);
        let both = names.claim("a/b/c.txt/d", false).unwrap_err().to_string();
        assert!(
            both.contains("\"a/b/c.txt\" is both a file and a folder"),
            "{both}"
        );
        names.claim("Ärger.md", false).unwrap();
        assert!(
            names.claim("ärger.md", false).is_err(),
            "Unicode case folds too"
        );
    }

    #[test]
    fn implied_folders_count_toward_the_entry_limit() {
        let mut names = Names::new(3);
        names.claim("a/b/c", false).unwrap();
        let err = names.claim("d", false).unwrap_err().to_string();
        assert_eq!(err, "the archive holds more than 3 entries");
    }
}
