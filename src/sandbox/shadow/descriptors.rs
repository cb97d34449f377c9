//! Descriptors: what one is (asked of the stock functions, unseen by the guest), the
//! bookkeeping that follows closes and renumbers, and the calls refused outright.

use wasmtime::{Caller, Linker};
use wasmtime_wasi::I32Exit;

use super::super::host::Host;
use super::layout::*;
use super::memory::probe;
use super::{P1, Ret};

/// What a descriptor is, as far as writes and polls care.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// A regular file (anything seekable that is not a folder), its size and position.
    File {
        writable: bool,
        append: bool,
        size: u64,
        position: u64,
    },
    /// Captured stdin, stdout or stderr (wherever `fd_renumber` moved them).
    Stdio {
        readable: bool,
        writable: bool,
    },
    Directory,
}

/// Asks the stock `fd_fdstat_get`, `fd_filestat_get` and `fd_tell` what `fd` is; `Err` is
/// the errno they gave (`EBADF` for a closed descriptor).
pub(super) fn kind_of(
    caller: &mut Caller<'_, Host>,
    fd: i32,
) -> wasmtime::Result<Result<Kind, i32>> {
    let Some(stock) = caller.data().stock.clone() else {
        return Ok(Err(ERRNO_NOSYS));
    };
    let stat =
        match probe::<{ fdstat::SIZE }>(caller, |c, out| stock.fd_fdstat_get.call(c, (fd, out)))? {
            Ok(stat) => stat,
            Err(errno) => return Ok(Err(errno)),
        };
    let rights = stat.get(fdstat::RIGHTS_BASE);
    if stat.get(fdstat::FILETYPE) == FILETYPE_DIRECTORY {
        return Ok(Ok(Kind::Directory));
    }
    // Only files are seekable; the standard streams have just the right to read or write.
    if rights & RIGHTS_FD_SEEK == 0 {
        return Ok(Ok(Kind::Stdio {
            readable: rights & RIGHTS_FD_READ != 0,
            writable: rights & RIGHTS_FD_WRITE != 0,
        }));
    }
    let size = match probe::<{ filestat::SIZE }>(caller, |c, out| {
        stock.fd_filestat_get.call(c, (fd, out))
    })? {
        Ok(file) => file.get(filestat::FILE_SIZE),
        Err(errno) => return Ok(Err(errno)),
    };
    let position = match probe::<8>(caller, |c, out| stock.fd_tell.call(c, (fd, out)))? {
        Ok(position) => u64::from_le_bytes(position.0),
        Err(errno) => return Ok(Err(errno)),
    };
    Ok(Ok(Kind::File {
        writable: rights & RIGHTS_FD_WRITE != 0,
        append: stat.get(fdstat::FLAGS) & FDFLAGS_APPEND != 0,
        size,
        position,
    }))
}

pub(super) fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    // wasmtime-wasi turns an exit status of 126 or more into a plain error (a `host_error`
    // trap); POSIX statuses go to 255 and the guest did ask to exit, so report its code.
    linker.func_wrap(
        P1,
        "proc_exit",
        |_: Caller<'_, Host>, status: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::new(I32Exit(status)))
        },
    )?;
    // Closing or renumbering can put a file at a descriptor number that was stdout; from then
    // on, writes there are disk writes and count against the quota.
    linker.func_wrap(
        P1,
        "fd_close",
        |mut caller: Caller<'_, Host>, fd: i32| -> Ret {
            let errno = stock!(caller, fd_close).call(&mut caller, (fd,))?;
            if errno == 0 {
                caller.data_mut().stdio_fds.remove(&fd);
                caller.data_mut().paths.forget(fd);
            }
            Ok(errno)
        },
    )?;
    linker.func_wrap(
        P1,
        "fd_renumber",
        |mut caller: Caller<'_, Host>, from: i32, to: i32| -> Ret {
            let errno = stock!(caller, fd_renumber).call(&mut caller, (from, to))?;
            if errno == 0 && from != to {
                let host = caller.data_mut();
                host.stdio_fds.remove(&to);
                if host.stdio_fds.remove(&from) {
                    host.stdio_fds.insert(to);
                }
                host.paths.renumber(from, to);
            }
            Ok(errno)
        },
    )?;
    // A hard link could tie a file in a writable folder to one in a read-only mount.
    linker.func_wrap(
        P1,
        "path_link",
        |_: Caller<'_, Host>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| -> Ret {
            Ok(ERRNO_PERM)
        },
    )?;
    Ok(())
}
