//! Guest paths: which preopened folder owns a path, and where a path that climbs out of one
//! preopen with `..` really lands.
//!
//! wasi-libc turns a relative path into `cwd/path` and hands it to the preopen with the
//! longest matching prefix, without resolving `..`. So a program in `/work/notebooks` that
//! opens `../data/train.csv` asks the `/work` preopen for `notebooks/../data/train.csv`,
//! which is the working copy's own `data/`, not the `/work/data` mount the guest sees. The
//! sandbox resolves such paths lexically (as a shell would, never above `/`) and sends the
//! call to the preopen that owns the result; a path that leaves every preopen is left as it
//! is, for the stock function to refuse.

use std::collections::HashMap;

/// The first descriptor wasmtime-wasi gives a preopen (after stdin, stdout and stderr).
pub const FIRST_PREOPEN_FD: i32 = 3;

#[derive(Clone, Debug)]
struct Preopen {
    /// Normalised guest path, without a trailing `/` (`/` itself for the root).
    guest: String,
    fd: i32,
    writable: bool,
}

/// Where a guest path lands after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The absolute, normalised guest path.
    pub guest: String,
    /// The preopen's descriptor and the path inside it, when a preopen owns the path.
    pub owner: Option<(i32, String)>,
    /// Whether the owning preopen is writable.
    pub writable: bool,
}

/// The guest's preopens and the paths of the descriptors it opened since.
#[derive(Clone, Debug, Default)]
pub struct GuestPaths {
    preopens: Vec<Preopen>,
    opened: HashMap<i32, String>,
}

impl GuestPaths {
    /// The preopens in the order they were given to WASI (so at descriptors 3, 4, ...).
    pub fn new<'a>(mounts: impl IntoIterator<Item = (&'a str, bool)>) -> Self {
        let preopens = mounts
            .into_iter()
            .enumerate()
            .map(|(i, (guest, writable))| Preopen {
                guest: normalize("/", guest),
                fd: FIRST_PREOPEN_FD + i as i32,
                writable,
            })
            .collect();
        GuestPaths {
            preopens,
            opened: HashMap::new(),
        }
    }

    /// The guest path of a descriptor: a preopen, or something opened through [`Self::remember`].
    pub fn path_of(&self, fd: i32) -> Option<&str> {
        if let Some(path) = self.opened.get(&fd) {
            return Some(path);
        }
        self.preopens
            .iter()
            .find(|p| p.fd == fd)
            .map(|p| p.guest.as_str())
    }

    pub fn remember(&mut self, fd: i32, guest: String) {
        if self.preopens.iter().all(|p| p.fd != fd) {
            self.opened.insert(fd, guest);
        }
    }

    pub fn forget(&mut self, fd: i32) {
        self.opened.remove(&fd);
    }

    /// After `fd_renumber(from, to)`.
    pub fn renumber(&mut self, from: i32, to: i32) {
        self.opened.remove(&to);
        if let Some(path) = self.opened.remove(&from) {
            self.opened.insert(to, path);
        }
    }

    /// Resolves `rel` against the descriptor `dirfd`. `None` when the descriptor's path is
    /// unknown or `rel` is absolute (which WASI refuses anyway).
    pub fn resolve(&self, dirfd: i32, rel: &str) -> Option<Target> {
        if rel.starts_with('/') {
            return None;
        }
        let base = self.path_of(dirfd)?;
        let guest = normalize(base, rel);
        let owner = self.owner(&guest);
        Some(Target {
            owner: owner.map(|p| (p.fd, inside(&guest, &p.guest, rel.ends_with('/')))),
            writable: owner.is_some_and(|p| p.writable),
            guest,
        })
    }

    /// The preopen with the longest guest path that holds `guest`.
    fn owner(&self, guest: &str) -> Option<&Preopen> {
        self.preopens
            .iter()
            .filter(|p| is_under(guest, &p.guest))
            .max_by_key(|p| p.guest.len())
    }

    /// The descriptor and path a call on `(dirfd, rel)` must really use, when that is not
    /// `(dirfd, rel)` itself: the path climbs with `..` into another preopen.
    pub fn redirect(&self, dirfd: i32, rel: &str) -> Option<(i32, String)> {
        let (fd, inner) = self.resolve(dirfd, rel)?.owner?;
        let home = self.owner(self.path_of(dirfd)?)?.fd;
        (fd != home).then_some((fd, inner))
    }
}

/// `rel` joined to the absolute `base`, with `.` and `..` resolved lexically; `..` at the
/// root stays at the root.
pub fn normalize(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(rel.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// `path` relative to its ancestor `dir` (`.` for `dir` itself), keeping a trailing `/`.
fn inside(path: &str, dir: &str, trailing_slash: bool) -> String {
    let rest = path[dir.len().min(path.len())..].trim_start_matches('/');
    match (rest.is_empty(), trailing_slash) {
        (true, _) => ".".into(),
        (false, true) => format!("{rest}/"),
        (false, false) => rest.into(),
    }
}

/// The path with Windows separators turned into `/`, when it has any.
pub fn with_slashes(rel: &str) -> Option<String> {
    rel.contains('\\').then(|| rel.replace('\\', "/"))
}

/// How a guest path reads best to a reviewer: relative to the working copy's top when it is
/// under `/work`, and from the drive letter on when it holds a Windows absolute path
/// (`/work/D:/Users/me/x.csv` is what `open("D:/Users/me/x.csv")` becomes).
pub fn for_reviewer(guest: &str, work: &str) -> String {
    if let Some(at) = drive_at(guest) {
        return guest[at..].to_string();
    }
    match guest.strip_prefix(work) {
        Some(rest) if !work.is_empty() && rest.starts_with('/') => rest[1..].to_string(),
        _ => guest.to_string(),
    }
}

/// Where a `C:` drive component starts in a path, if one does.
fn drive_at(path: &str) -> Option<usize> {
    let bytes = path.as_bytes();
    (1..bytes.len().saturating_sub(1)).find(|&i| {
        bytes[i - 1] == b'/'
            && bytes[i].is_ascii_alphabetic()
            && bytes[i + 1] == b':'
            && matches!(bytes.get(i + 2), None | Some(b'/') | Some(b'\\'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> GuestPaths {
        GuestPaths::new([
            ("/usr/local/lib", false),
            ("/tmp", true),
            ("/work", true),
            ("/work/data", false),
        ])
    }

    #[test]
    fn dot_dot_into_another_preopen_is_sent_to_that_preopen() {
        let paths = layout();
        assert_eq!(
            paths.redirect(5, "notebooks/../data/train.csv"),
            Some((6, "train.csv".into()))
        );
        assert_eq!(paths.redirect(6, "../main.py"), Some((5, "main.py".into())));
        assert_eq!(
            paths.redirect(5, "notebooks/../data/"),
            Some((6, ".".into()))
        );
    }

    #[test]
    fn paths_that_stay_in_their_preopen_or_leave_them_all_are_left_alone() {
        let paths = layout();
        assert_eq!(paths.redirect(5, "notebooks/../out/x.csv"), None);
        assert_eq!(paths.redirect(5, "main.py"), None);
        assert_eq!(paths.redirect(5, "../../etc/passwd"), None);
        assert_eq!(paths.redirect(5, "../hidden/labels.csv"), None);
        assert_eq!(paths.redirect(6, "../../../../etc/passwd"), None);
        assert_eq!(paths.redirect(99, "../data/x"), None);
        assert_eq!(paths.redirect(5, "/etc/passwd"), None);
    }

    #[test]
    fn a_prefix_that_is_not_a_whole_component_does_not_own_a_path() {
        let paths = layout();
        let target = paths.resolve(5, "notebooks/../database/x").unwrap();
        assert_eq!(target.guest, "/work/database/x");
        assert_eq!(target.owner, Some((5, "database/x".into())));
    }

    #[test]
    fn descriptors_opened_later_resolve_from_their_own_path() {
        let mut paths = layout();
        paths.remember(10, "/work/notebooks/deep".into());
        assert_eq!(
            paths.redirect(10, "../../data/a.csv"),
            Some((6, "a.csv".into()))
        );
        paths.renumber(10, 11);
        assert_eq!(paths.path_of(10), None);
        assert_eq!(paths.path_of(11), Some("/work/notebooks/deep"));
        paths.forget(11);
        assert_eq!(paths.path_of(11), None);
    }

    #[test]
    fn reviewers_see_paths_from_the_top_of_the_copy_or_from_the_drive() {
        assert_eq!(
            for_reviewer("/work/D:/Users/me/data.csv", "/work"),
            "D:/Users/me/data.csv"
        );
        assert_eq!(
            for_reviewer("/work/notebooks/C:\\Users\\me\\x.csv", "/work"),
            "C:\\Users\\me\\x.csv"
        );
        assert_eq!(
            for_reviewer("/work/notebooks/a.csv", "/work"),
            "notebooks/a.csv"
        );
        assert_eq!(for_reviewer("/tmp/a", "/work"), "/tmp/a");
        assert_eq!(for_reviewer("/work/ab:c", "/work"), "ab:c");
    }
}
