//! The WASI path functions, wrapped: every call that names a path is resolved the way the
//! program meant it before the stock function sees it.
//!
//! - A path that climbs with `..` into another preopen (`notebooks/../data/x.csv` asked of
//!   `/work`, where `/work/data` is its own mount) goes to the preopen that owns it
//!   ([`super::paths`]); one that leaves every preopen goes to the stock function unchanged,
//!   which refuses it.
//! - A path written with Windows separators (`data\train.csv`) that does not exist as written
//!   but does with `/` is opened (or stat'ed) with `/`, and the run's diagnostics say so.
//! - Opens that fail are diagnosed: a missing file (when the runner asks for it), a write
//!   refused because the folder is read-only.
//! - Creating entries counts against the disk quota; the paths of opened descriptors are
//!   remembered so that a write refused later can name its file.
//!
//! The stock functions read the path from guest memory, so a rewritten path is written over
//! the guest's own bytes for the length of the call and the original restored afterwards
//! (anything the call wrote into its out-pointers is kept). A rewritten path is never longer
//! than the original when it comes from resolving `..` out of a preopen; if it ever were, the
//! call goes through unchanged.

use wasmtime::{Caller, Linker};

use super::super::host::Host;
use super::super::paths::{for_reviewer, with_slashes};
use super::fsview::virtualize_filestat;
use super::layout::*;
use super::memory::{read_bytes, read_u32, write_bytes};
use super::{P1, Ret, quota_result};
use crate::record::DiagnosticKind;

const RIGHTS_FD_WRITE_SIGNED: i64 = RIGHTS_FD_WRITE as i64;
/// Longest path the wrappers look at; longer ones go to the stock functions untouched.
const MAX_PATH: usize = 64 * 1024;

fn guest_str(caller: &mut Caller<'_, Host>, ptr: i32, len: i32) -> Option<String> {
    let len = usize::try_from(len).ok().filter(|&l| l <= MAX_PATH)?;
    String::from_utf8(read_bytes(caller, ptr, len)?).ok()
}

/// Calls `call` with the path at `(ptr, len)` replaced by `path`, restoring the original
/// bytes afterwards but keeping what the call wrote to `outs` (pointer, length). `None` when
/// `path` does not fit in the original's place.
fn with_path(
    caller: &mut Caller<'_, Host>,
    ptr: i32,
    len: i32,
    path: &str,
    outs: &[(i32, usize)],
    call: impl FnOnce(&mut Caller<'_, Host>, i32) -> Ret,
) -> wasmtime::Result<Option<i32>> {
    let Ok(len) = usize::try_from(len) else {
        return Ok(None);
    };
    if path.len() > len {
        return Ok(None);
    }
    let Some(saved) = read_bytes(caller, ptr, len) else {
        return Ok(None);
    };
    if !write_bytes(caller, ptr, path.as_bytes()) {
        return Ok(None);
    }
    let result = call(caller, path.len() as i32);
    let kept: Vec<Option<Vec<u8>>> = outs
        .iter()
        .map(|&(at, n)| read_bytes(caller, at, n))
        .collect();
    write_bytes(caller, ptr, &saved);
    for (&(at, _), bytes) in outs.iter().zip(kept) {
        if let Some(bytes) = bytes {
            write_bytes(caller, at, &bytes);
        }
    }
    result.map(Some)
}

/// A path argument: where it lives in guest memory, what it says, and what to use instead.
struct PathArg {
    ptr: i32,
    len: i32,
    text: Option<String>,
}

impl PathArg {
    fn read(caller: &mut Caller<'_, Host>, ptr: i32, len: i32) -> Self {
        PathArg {
            ptr,
            len,
            text: guest_str(caller, ptr, len),
        }
    }

    /// The descriptor and path to call with for `wanted` (the path as given, or translated),
    /// resolved across preopens: `None` means the arguments as they are.
    fn route(&self, caller: &Caller<'_, Host>, dirfd: i32, wanted: &str) -> Option<(i32, String)> {
        match caller.data().paths.redirect(dirfd, wanted) {
            Some(routed) => Some(routed),
            None if self.text.as_deref() != Some(wanted) => Some((dirfd, wanted.to_string())),
            None => None,
        }
    }
}

/// Calls a one-path stock function as the path `wanted` (resolved across preopens).
fn call_routed(
    caller: &mut Caller<'_, Host>,
    dirfd: i32,
    arg: &PathArg,
    wanted: Option<&str>,
    outs: &[(i32, usize)],
    call: impl Fn(&mut Caller<'_, Host>, i32, i32) -> Ret,
) -> Ret {
    let routed = wanted.and_then(|w| arg.route(caller, dirfd, w));
    if let Some((fd, path)) = routed
        && let Some(errno) = with_path(caller, arg.ptr, arg.len, &path, outs, |c, len| {
            call(c, fd, len)
        })?
    {
        return Ok(errno);
    }
    call(caller, dirfd, arg.len)
}

/// Calls a one-path stock function; if the path is missing as written but has Windows
/// separators, calls it again with `/` and, when that works, notes the translation.
fn call_translating(
    caller: &mut Caller<'_, Host>,
    dirfd: i32,
    arg: &PathArg,
    translate: bool,
    outs: &[(i32, usize)],
    call: impl Fn(&mut Caller<'_, Host>, i32, i32) -> Ret,
) -> wasmtime::Result<(i32, Option<String>)> {
    let errno = call_routed(caller, dirfd, arg, arg.text.as_deref(), outs, &call)?;
    if errno != ERRNO_NOENT || !translate {
        return Ok((errno, None));
    }
    let Some(slashed) = arg.text.as_deref().and_then(with_slashes) else {
        return Ok((errno, None));
    };
    let retry = call_routed(caller, dirfd, arg, Some(&slashed), outs, &call)?;
    if retry != 0 {
        return Ok((errno, None));
    }
    let host = caller.data_mut();
    let work = host.work_guest.clone();
    let shown = |text: &str| {
        host.paths
            .resolve(dirfd, text)
            .map(|t| for_reviewer(&t.guest, &work))
            .unwrap_or_else(|| text.to_string())
    };
    let (original, now) = (
        shown(arg.text.as_deref().unwrap_or_default()),
        shown(&slashed),
    );
    host.diagnostics
        .add(DiagnosticKind::TranslatedPath, &original, || {
            format!("opened `{original}` as `{now}`: the path was written with Windows separators")
        });
    Ok((0, Some(slashed)))
}

/// Calls a one-path stock function resolved across preopens, without translation.
fn simple(
    caller: &mut Caller<'_, Host>,
    dirfd: i32,
    ptr: i32,
    len: i32,
    call: impl Fn(&mut Caller<'_, Host>, i32, i32) -> Ret,
) -> Ret {
    let arg = PathArg::read(caller, ptr, len);
    call_routed(caller, dirfd, &arg, arg.text.as_deref(), &[], call)
}

fn note_failed_open(
    caller: &mut Caller<'_, Host>,
    dirfd: i32,
    path: &str,
    errno: i32,
    writing: bool,
) {
    let host = caller.data_mut();
    let Some(target) = host.paths.resolve(dirfd, path) else {
        return;
    };
    if target.owner.is_none() || target.guest.split('/').any(|p| p == "__pycache__") {
        return;
    }
    let shown = for_reviewer(&target.guest, &host.work_guest);
    if errno == ERRNO_NOENT && host.report_missing_files {
        host.diagnostics
            .add(DiagnosticKind::MissingFile, &shown, || {
                format!("tried to open `{shown}`, which does not exist")
            });
    } else if writing
        && !target.writable
        && matches!(
            errno,
            ERRNO_PERM | ERRNO_ROFS | ERRNO_ACCES | ERRNO_NOTCAPABLE
        )
    {
        host.diagnostics
            .add(DiagnosticKind::WriteRefused, &shown, || {
                format!("a write to `{shown}` was refused: that folder is read-only")
            });
    }
}

/// Wraps the stock `$name`, whose one path is (`$fd`, `$path`, `$len`), routing the path
/// across preopens; with `counts_entry: true` a success counts one new entry against the
/// disk quota.
macro_rules! one_path_call {
    ($linker:ident, $name:ident($($arg:ident: $ty:ty),*), path: ($fd:ident, $path:ident, $len:ident), counts_entry: $counts:literal) => {
        $linker.func_wrap(P1, stringify!($name), |mut caller: Caller<'_, Host>, $($arg: $ty),*| -> Ret {
            let stock = stock!(caller, $name);
            let errno = simple(&mut caller, $fd, $path, $len, |c, $fd, $len| {
                stock.call(c, ($($arg,)*))
            })?;
            if $counts && errno == 0 {
                let check = caller.data_mut().quota.created();
                quota_result(&mut caller, check, None)?;
            }
            Ok(errno)
        })?;
    };
}

/// Adds the wrappers of the path functions to `linker`.
pub fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    one_path_call!(linker, path_filestat_set_times(fd: i32, flags: i32, path: i32, len: i32, atim: i64, mtim: i64, fst: i32), path: (fd, path, len), counts_entry: false);
    one_path_call!(linker, path_remove_directory(fd: i32, path: i32, len: i32), path: (fd, path, len), counts_entry: false);
    one_path_call!(linker, path_unlink_file(fd: i32, path: i32, len: i32), path: (fd, path, len), counts_entry: false);
    one_path_call!(linker, path_create_directory(fd: i32, path: i32, len: i32), path: (fd, path, len), counts_entry: true);
    one_path_call!(linker, path_symlink(old: i32, old_len: i32, fd: i32, new: i32, new_len: i32), path: (fd, new, new_len), counts_entry: true);
    linker.func_wrap(
        P1,
        "path_open",
        |mut caller: Caller<'_, Host>,
         dirfd: i32,
         dirflags: i32,
         path: i32,
         len: i32,
         oflags: i32,
         base: i64,
         inheriting: i64,
         fdflags: i32,
         out: i32|
         -> Ret {
            let open = stock!(caller, path_open);
            let arg = PathArg::read(&mut caller, path, len);
            let creating = oflags & OFLAGS_CREAT != 0;
            let (errno, translated) = call_translating(
                &mut caller,
                dirfd,
                &arg,
                !creating,
                &[(out, 4)],
                |c, fd, len| {
                    open.call(
                        c,
                        (
                            fd, dirflags, path, len, oflags, base, inheriting, fdflags, out,
                        ),
                    )
                },
            )?;
            let Some(text) = translated.or(arg.text) else {
                return Ok(errno);
            };
            if errno != 0 {
                let writing = base & RIGHTS_FD_WRITE_SIGNED != 0
                    || oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0;
                note_failed_open(&mut caller, dirfd, &text, errno, writing);
                return Ok(errno);
            }
            if let Some(fd) = read_u32(&mut caller, out)
                && let Some(target) = caller.data().paths.resolve(dirfd, &text)
            {
                caller.data_mut().paths.remember(fd as i32, target.guest);
            }
            if creating && caller.data().quota.has_roots() {
                let check = caller.data_mut().quota.created();
                let fd = read_u32(&mut caller, out).map(|fd| fd as i32);
                quota_result(&mut caller, check, fd)?;
            }
            Ok(errno)
        },
    )?;
    linker.func_wrap(
        P1,
        "path_filestat_get",
        |mut caller: Caller<'_, Host>, fd: i32, flags: i32, path: i32, len: i32, out: i32| -> Ret {
            let stat = stock!(caller, path_filestat_get);
            let arg = PathArg::read(&mut caller, path, len);
            let (errno, _) =
                call_translating(&mut caller, fd, &arg, true, &[(out, 64)], |c, fd, len| {
                    stat.call(c, (fd, flags, path, len, out))
                })?;
            Ok(if errno == 0 {
                virtualize_filestat(&mut caller, out)
            } else {
                errno
            })
        },
    )?;
    linker.func_wrap(
        P1,
        "path_readlink",
        |mut caller: Caller<'_, Host>,
         fd: i32,
         path: i32,
         len: i32,
         buf: i32,
         buf_len: i32,
         used: i32|
         -> Ret {
            let readlink = stock!(caller, path_readlink);
            let arg = PathArg::read(&mut caller, path, len);
            let outs = [(buf, buf_len.clamp(0, 1 << 20) as usize), (used, 4)];
            call_routed(
                &mut caller,
                fd,
                &arg,
                arg.text.as_deref(),
                &outs,
                |c, fd, len| readlink.call(c, (fd, path, len, buf, buf_len, used)),
            )
        },
    )?;
    linker.func_wrap(
        P1,
        "path_rename",
        |mut caller: Caller<'_, Host>,
         fd: i32,
         old: i32,
         old_len: i32,
         new_fd: i32,
         new: i32,
         new_len: i32|
         -> Ret {
            let rename = stock!(caller, path_rename);
            let new_arg = PathArg::read(&mut caller, new, new_len);
            let new_route = new_arg
                .text
                .as_deref()
                .and_then(|t| new_arg.route(&caller, new_fd, t));
            simple(&mut caller, fd, old, old_len, |c, fd, old_len| {
                let (to_fd, to) = match &new_route {
                    Some((to_fd, to)) => (*to_fd, to.as_str()),
                    None => return rename.call(c, (fd, old, old_len, new_fd, new, new_len)),
                };
                match with_path(c, new, new_len, to, &[], |c, len| {
                    rename.call(c, (fd, old, old_len, to_fd, new, len))
                })? {
                    Some(errno) => Ok(errno),
                    None => rename.call(c, (fd, old, old_len, new_fd, new, new_len)),
                }
            })
        },
    )?;
    Ok(())
}
