//! The disk quota, decided before the host acts: every write, write at an offset, truncate
//! and allocate on a file in a writable folder is measured first (the file's size and
//! position are asked of the stock functions), and one that would take the folders past the
//! quota stops the guest with `disk_limit` before the stock function runs. So no file over
//! the quota ever exists on the host, whatever the guest seeks to.
//!
//! Calls the stock function refuses without touching the disk (a closed descriptor, a
//! folder, a read-only file, buffers outside guest memory, offsets past what a file can
//! hold) go to it unmeasured and get its errno, as under stock wasmtime-wasi.

use wasmtime::{Caller, Linker};

use super::super::host::Host;
use super::descriptors::{Kind, kind_of};
use super::layout::*;
use super::memory::{memory, read_u32};
use super::{P1, Ret, quota_result};

/// A file the quota must measure before writing to it.
struct Target {
    size: u64,
    position: u64,
    append: bool,
}

impl Target {
    /// How much a file grows when `len` bytes land at `at`; `None` past the largest offset a
    /// host file can have (the stock call then fails without writing).
    fn growth(&self, at: u64, len: u64) -> Option<u64> {
        let end = at.checked_add(len).filter(|&end| end <= i64::MAX as u64)?;
        Some(end.saturating_sub(self.size))
    }

    /// Where a write at the current position (or at `offset`) lands: files opened to append
    /// write at their end, whatever the offset.
    fn landing(&self, offset: Option<u64>) -> u64 {
        match (self.append, offset) {
            (true, _) => self.size,
            (false, Some(offset)) => offset,
            (false, None) => self.position,
        }
    }
}

/// What to do with a call on `fd`: `Ok(Some)` measure it, `Ok(None)` pass it to the stock
/// function as it is, `Err(errno)` answer that without calling it.
fn target(caller: &mut Caller<'_, Host>, fd: i32) -> wasmtime::Result<Result<Option<Target>, i32>> {
    if caller.data().stdio_fds.contains(&fd) || !caller.data().quota.has_roots() {
        return Ok(Ok(None));
    }
    Ok(match kind_of(caller, fd)? {
        Ok(Kind::File {
            writable: true,
            append,
            size,
            position,
        }) => Ok(Some(Target {
            size,
            position,
            append,
        })),
        // Not a writable file: the stock function refuses it, or writes to captured output.
        Ok(_) => Ok(None),
        // No such descriptor: the stock function says so, in its own order of checks.
        Err(ERRNO_BADF) => Ok(None),
        // No memory to ask through (so nothing was ever opened through it), or a descriptor
        // that cannot be measured: refused, since it cannot be measured.
        Err(errno) => Err(errno),
    })
}

/// The length stock wasmtime-wasi writes for an iovec array: that of its first non-empty
/// buffer (it writes only that one). `None` when the array or that buffer is outside guest
/// memory, which the stock function refuses with its own errno.
fn first_buffer_len(caller: &mut Caller<'_, Host>, iovs: i32, count: i32) -> Option<u64> {
    let memory = memory(caller)?;
    let data = memory.data(&*caller);
    let start = iovs as u32 as usize;
    let count = count as u32 as usize;
    let array = data.get(start..start.checked_add(count.checked_mul(ciovec::SIZE)?)?)?;
    for bytes in array.chunks_exact(ciovec::SIZE) {
        let iovec = Raw::<{ ciovec::SIZE }>::from_slice(bytes);
        let len = iovec.get(ciovec::BUF_LEN) as usize;
        if len == 0 {
            continue;
        }
        let buf = iovec.get(ciovec::BUF) as usize;
        data.get(buf..buf.checked_add(len)?)?;
        return Some(len as u64);
    }
    Some(0)
}

/// The checks of a write of the iovecs at `iovs` landing at `offset` (or the position).
fn write_growth(
    caller: &mut Caller<'_, Host>,
    fd: i32,
    iovs: i32,
    n: i32,
    offset: Option<u64>,
) -> wasmtime::Result<Result<Option<(Target, u64)>, i32>> {
    let file = match target(caller, fd)? {
        Ok(Some(file)) => file,
        Ok(None) => return Ok(Ok(None)),
        Err(errno) => return Ok(Err(errno)),
    };
    let Some(len) = first_buffer_len(caller, iovs, n) else {
        return Ok(Ok(None));
    };
    let at = file.landing(offset);
    let Some(growth) = file.growth(at, len) else {
        return Ok(Ok(None));
    };
    let check = caller.data_mut().quota.before_write(growth);
    quota_result(caller, check, Some(fd))?;
    Ok(Ok(Some((file, at))))
}

/// After a measured write: charges what it really added.
fn charge_written(
    caller: &mut Caller<'_, Host>,
    fd: i32,
    file: &Target,
    at: u64,
    written: i32,
) -> wasmtime::Result<()> {
    let wrote = read_u32(caller, written).unwrap_or(0) as u64;
    let grown = file.growth(at, wrote).unwrap_or(0);
    let check = caller.data_mut().quota.grew(grown);
    quota_result(caller, check, Some(fd))
}

fn fd_write(mut caller: Caller<'_, Host>, fd: i32, iovs: i32, n: i32, written: i32) -> Ret {
    let write = stock!(caller, fd_write);
    let measured = match write_growth(&mut caller, fd, iovs, n, None)? {
        Ok(measured) => measured,
        Err(errno) => return Ok(errno),
    };
    let errno = write.call(&mut caller, (fd, iovs, n, written))?;
    if errno == 0
        && let Some((file, at)) = measured
    {
        charge_written(&mut caller, fd, &file, at, written)?;
    }
    Ok(errno)
}

fn fd_pwrite(
    mut caller: Caller<'_, Host>,
    fd: i32,
    iovs: i32,
    n: i32,
    offset: i64,
    written: i32,
) -> Ret {
    let pwrite = stock!(caller, fd_pwrite);
    let measured = match write_growth(&mut caller, fd, iovs, n, Some(offset as u64))? {
        Ok(measured) => measured,
        Err(errno) => return Ok(errno),
    };
    let errno = pwrite.call(&mut caller, (fd, iovs, n, offset, written))?;
    if errno == 0
        && let Some((file, at)) = measured
    {
        charge_written(&mut caller, fd, &file, at, written)?;
    }
    Ok(errno)
}

/// A file growing to `size`: measured first, charged once the stock call succeeded. Stock
/// wasmtime-wasi never allocates (`fd_allocate` answers `ENOTSUP` on a file), but a request
/// past the quota is refused all the same, before it is made.
fn grow_to(
    caller: &mut Caller<'_, Host>,
    fd: i32,
    size: u64,
    call: impl FnOnce(&mut Caller<'_, Host>) -> Ret,
) -> Ret {
    let growth = match target(caller, fd)? {
        Ok(Some(file)) => file.growth(size, 0),
        Ok(None) => None,
        Err(errno) => return Ok(errno),
    };
    if let Some(growth) = growth {
        let check = caller.data_mut().quota.before_write(growth);
        quota_result(caller, check, Some(fd))?;
    }
    let errno = call(caller)?;
    if errno == 0
        && let Some(growth) = growth
    {
        let check = caller.data_mut().quota.grew(growth);
        quota_result(caller, check, Some(fd))?;
    }
    Ok(errno)
}

pub(super) fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap(P1, "fd_write", fd_write)?;
    linker.func_wrap(P1, "fd_pwrite", fd_pwrite)?;
    linker.func_wrap(
        P1,
        "fd_allocate",
        |mut caller: Caller<'_, Host>, fd: i32, offset: i64, len: i64| -> Ret {
            let allocate = stock!(caller, fd_allocate);
            let extent = (offset as u64).saturating_add(len as u64);
            grow_to(&mut caller, fd, extent, |c| {
                allocate.call(c, (fd, offset, len))
            })
        },
    )?;
    linker.func_wrap(
        P1,
        "fd_filestat_set_size",
        |mut caller: Caller<'_, Host>, fd: i32, size: i64| -> Ret {
            let set_size = stock!(caller, fd_filestat_set_size);
            grow_to(&mut caller, fd, size as u64, |c| {
                set_size.call(c, (fd, size))
            })
        },
    )?;
    Ok(())
}
