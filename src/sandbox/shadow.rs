//! WASI preview1 functions the sandbox wraps or replaces, defined over the stock ones.
//!
//! wasmtime-wasi's preview1 implementation is private, so each wrapper calls the stock
//! function (kept per store in `Host::stock`) and then adjusts what it wrote into guest
//! memory. What this fixes: host clocks, sleeps, timestamps, inode numbers and directory
//! order (determinism); disk quota on every write; and hard links (refused).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, Linker, Memory};
use wasmtime_wasi::I32Exit;

use super::host::{Denial, Host, VIRTUAL_EPOCH_SECS};
use super::quota::QuotaExceeded;
use super::record::{ClockMode, DiagnosticKind};

pub(super) const P1: &str = "wasi_snapshot_preview1";
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;
const ERRNO_IO: i32 = 29;
pub(super) const ERRNO_NOSYS: i32 = 52;
const ERRNO_PERM: i32 = 63;
const FILETYPE_DIRECTORY: u8 = 3;

type Ret = wasmtime::Result<i32>;

fn memory(caller: &mut Caller<'_, Host>) -> Option<Memory> {
    caller.get_export("memory")?.into_memory()
}

pub(super) fn read_bytes(caller: &mut Caller<'_, Host>, ptr: i32, len: usize) -> Option<Vec<u8>> {
    let memory = memory(caller)?;
    let mut buf = vec![0; len];
    memory.read(&*caller, ptr as u32 as usize, &mut buf).ok()?;
    Some(buf)
}

pub(super) fn write_bytes(caller: &mut Caller<'_, Host>, ptr: i32, data: &[u8]) -> bool {
    match memory(caller) {
        Some(memory) => memory
            .write(&mut *caller, ptr as u32 as usize, data)
            .is_ok(),
        None => false,
    }
}

pub(super) fn read_u32(caller: &mut Caller<'_, Host>, ptr: i32) -> Option<u32> {
    read_bytes(caller, ptr, 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()))
}

fn read_u64(caller: &mut Caller<'_, Host>, ptr: i32) -> Option<u64> {
    read_bytes(caller, ptr, 8).map(|b| u64::from_le_bytes(b.try_into().unwrap()))
}

/// The stock functions, reachable once the guest is instantiated (see [`attach`]).
/// A start function that calls a wrapped function before then gets `ENOSYS`.
macro_rules! stock {
    ($caller:expr, $name:ident) => {
        match $caller.data().stock.as_ref() {
            Some(stock) => stock.$name.clone(),
            None => return Ok(ERRNO_NOSYS),
        }
    };
}

fn fuel_used(caller: &Caller<'_, Host>) -> u64 {
    let left = caller.get_fuel().unwrap_or(0);
    caller.data().fuel_limit.saturating_sub(left)
}

/// Stops the guest when the quota refused; the refused write is diagnosed, naming the file
/// written through descriptor `fd` when it is known.
pub(super) fn quota_result(
    caller: &mut Caller<'_, Host>,
    result: Result<(), QuotaExceeded>,
    fd: Option<i32>,
) -> wasmtime::Result<()> {
    let Err(e) = result else {
        return Ok(());
    };
    let host = caller.data_mut();
    let path = fd
        .and_then(|fd| host.paths.path_of(fd))
        .map(|p| super::paths::for_reviewer(p, &host.work_guest))
        .unwrap_or_default();
    let message = e.to_string();
    host.diagnostics
        .add(DiagnosticKind::WriteRefused, &path, || {
            match path.as_str() {
                "" => format!("a write was refused: {message}"),
                path => format!("a write to `{path}` was refused: {message}"),
            }
        });
    Err(host.deny(Denial::Disk(message)))
}

/// Sum of the lengths in an iovec array, or `None` if it is out of bounds or absurd.
fn iovec_total(caller: &mut Caller<'_, Host>, iovs: i32, count: i32) -> Option<u64> {
    if !(0..=1024).contains(&count) {
        return None;
    }
    let raw = read_bytes(caller, iovs, count as usize * 8)?;
    Some(
        raw.chunks_exact(8)
            .map(|c| u32::from_le_bytes(c[4..8].try_into().unwrap()) as u64)
            .sum(),
    )
}

/// Nanoseconds on clock `id` now, as the guest must see it.
fn now_ns(caller: &mut Caller<'_, Host>, id: u32) -> Option<u64> {
    let fuel = fuel_used(caller);
    let clock = &mut caller.data_mut().clock;
    let elapsed = match clock.mode {
        ClockMode::Virtual => clock.virtual_elapsed(fuel),
        ClockMode::Real => clock.started.elapsed().as_nanos() as u64 + clock.slept_ns,
    };
    match (id, clock.mode) {
        (0, ClockMode::Virtual) => Some(VIRTUAL_EPOCH_SECS * 1_000_000_000 + elapsed),
        (0, ClockMode::Real) => Some(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64,
        ),
        (1..=3, _) => Some(elapsed),
        _ => None,
    }
}

/// Rewrites a filestat so that it says nothing about the host: fixed device, small inode
/// numbers in order of first sight, one link, fixed times, directories of size 0.
pub(super) fn virtualize_filestat(caller: &mut Caller<'_, Host>, ptr: i32) -> i32 {
    let Some(mut stat) = read_bytes(caller, ptr, 64) else {
        return ERRNO_FAULT;
    };
    let host_ino = u64::from_le_bytes(stat[8..16].try_into().unwrap());
    let ino = caller.data_mut().inodes.virtual_of(host_ino);
    let fixed_time = VIRTUAL_EPOCH_SECS * 1_000_000_000;
    stat[0..8].copy_from_slice(&1u64.to_le_bytes());
    stat[8..16].copy_from_slice(&ino.to_le_bytes());
    stat[24..32].copy_from_slice(&1u64.to_le_bytes());
    if stat[16] == FILETYPE_DIRECTORY {
        stat[32..40].copy_from_slice(&0u64.to_le_bytes());
    }
    for at in [40, 48, 56] {
        stat[at..at + 8].copy_from_slice(&fixed_time.to_le_bytes());
    }
    if write_bytes(caller, ptr, &stat) {
        0
    } else {
        ERRNO_FAULT
    }
}

struct DirEntry {
    name: Vec<u8>,
    host_ino: u64,
    kind: u8,
}

/// Reads the whole directory through the stock `fd_readdir`, borrowing the start of guest
/// memory as scratch space and restoring it before returning.
fn read_whole_dir(
    caller: &mut Caller<'_, Host>,
    fd: i32,
) -> wasmtime::Result<Result<Vec<DirEntry>, i32>> {
    let Some(memory) = memory(caller) else {
        return Ok(Err(ERRNO_FAULT));
    };
    let scratch_len = memory.data_size(&*caller).min(64 * 1024);
    if scratch_len < 1024 {
        return Ok(Err(ERRNO_FAULT));
    }
    let saved = memory.data(&*caller)[..scratch_len].to_vec();
    let area = (scratch_len - 8) as i32;
    let readdir = match caller.data().stock.as_ref() {
        Some(stock) => stock.fd_readdir.clone(),
        None => return Ok(Err(ERRNO_NOSYS)),
    };
    let mut entries = Vec::new();
    let mut cookie: i64 = 0;
    let outcome = loop {
        let errno = match readdir.call(&mut *caller, (fd, 0, area, cookie, area)) {
            Ok(errno) => errno,
            Err(trap) => {
                memory.data_mut(&mut *caller)[..scratch_len].copy_from_slice(&saved);
                return Err(trap);
            }
        };
        if errno != 0 {
            break Err(errno);
        }
        let data = &memory.data(&*caller)[..scratch_len];
        let used =
            u32::from_le_bytes(data[area as usize..area as usize + 4].try_into().unwrap()) as usize;
        let used = used.min(area as usize);
        let mut pos = 0;
        let mut parsed = false;
        while pos + 24 <= used {
            let next = u64::from_le_bytes(data[pos..pos + 8].try_into().unwrap());
            let host_ino = u64::from_le_bytes(data[pos + 8..pos + 16].try_into().unwrap());
            let len = u32::from_le_bytes(data[pos + 16..pos + 20].try_into().unwrap()) as usize;
            if pos + 24 + len > used {
                break;
            }
            entries.push(DirEntry {
                name: data[pos + 24..pos + 24 + len].to_vec(),
                host_ino,
                kind: data[pos + 20],
            });
            cookie = next as i64;
            pos += 24 + len;
            parsed = true;
        }
        if used < area as usize {
            break Ok(());
        }
        if !parsed {
            break Err(ERRNO_IO);
        }
    };
    memory.data_mut(&mut *caller)[..scratch_len].copy_from_slice(&saved);
    Ok(outcome.map(|()| entries))
}

fn fd_readdir(
    mut caller: Caller<'_, Host>,
    fd: i32,
    buf: i32,
    buf_len: i32,
    cookie: i64,
    used_ptr: i32,
) -> Ret {
    let mut entries = match read_whole_dir(&mut caller, fd)? {
        Ok(entries) => entries,
        Err(errno) => return Ok(errno),
    };
    let rank = |name: &[u8]| match name {
        b"." => 0,
        b".." => 1,
        _ => 2,
    };
    entries.sort_by(|a, b| (rank(&a.name), &a.name).cmp(&(rank(&b.name), &b.name)));
    let buf_len = buf_len.max(0) as usize;
    let mut out = Vec::new();
    for (index, entry) in entries.iter().enumerate().skip(cookie.max(0) as usize) {
        if out.len() >= buf_len {
            break;
        }
        let ino = caller.data_mut().inodes.virtual_of(entry.host_ino);
        out.extend_from_slice(&(index as u64 + 1).to_le_bytes());
        out.extend_from_slice(&ino.to_le_bytes());
        out.extend_from_slice(&(entry.name.len() as u32).to_le_bytes());
        out.extend_from_slice(&[entry.kind, 0, 0, 0]);
        out.extend_from_slice(&entry.name);
    }
    out.truncate(buf_len);
    if !write_bytes(&mut caller, buf, &out)
        || !write_bytes(&mut caller, used_ptr, &(out.len() as u32).to_le_bytes())
    {
        return Ok(ERRNO_FAULT);
    }
    Ok(0)
}

fn poll_oneoff(
    mut caller: Caller<'_, Host>,
    subs: i32,
    events: i32,
    count: i32,
    nevents_ptr: i32,
) -> Ret {
    if !(1..=4096).contains(&count) {
        return Ok(ERRNO_INVAL);
    }
    let Some(raw) = read_bytes(&mut caller, subs, count as usize * 48) else {
        return Ok(ERRNO_FAULT);
    };
    let mut ready = Vec::new();
    let mut clocks = Vec::new();
    for sub in raw.chunks_exact(48) {
        let userdata = u64::from_le_bytes(sub[0..8].try_into().unwrap());
        match sub[8] {
            0 => {
                let id = u32::from_le_bytes(sub[16..20].try_into().unwrap());
                let timeout = u64::from_le_bytes(sub[24..32].try_into().unwrap());
                let absolute = u16::from_le_bytes(sub[40..42].try_into().unwrap()) & 1 == 1;
                let Some(now) = now_ns(&mut caller, id) else {
                    return Ok(ERRNO_INVAL);
                };
                let wait = if absolute {
                    timeout.saturating_sub(now)
                } else {
                    timeout
                };
                clocks.push((userdata, wait));
            }
            // Reads see end of input and writes are never blocked: there is nothing to wait for.
            tag @ (1 | 2) => ready.push((userdata, tag)),
            _ => return Ok(ERRNO_INVAL),
        }
    }
    if ready.is_empty() {
        let wait = clocks.iter().map(|c| c.1).min().unwrap_or(0);
        sleep(&mut caller, wait)?;
        ready = clocks
            .iter()
            .filter(|c| c.1 <= wait)
            .map(|c| (c.0, 0))
            .collect();
    }
    let mut out = Vec::with_capacity(ready.len() * 32);
    for (userdata, kind) in &ready {
        let mut event = [0u8; 32];
        event[0..8].copy_from_slice(&userdata.to_le_bytes());
        event[10] = *kind;
        out.extend_from_slice(&event);
    }
    if !write_bytes(&mut caller, events, &out)
        || !write_bytes(
            &mut caller,
            nevents_ptr,
            &(ready.len() as u32).to_le_bytes(),
        )
    {
        return Ok(ERRNO_FAULT);
    }
    Ok(0)
}

/// Virtual mode: time jumps forward at once. Real mode: really sleep, but never past the deadline.
fn sleep(caller: &mut Caller<'_, Host>, ns: u64) -> wasmtime::Result<()> {
    let clock = &mut caller.data_mut().clock;
    match clock.mode {
        ClockMode::Virtual => {
            clock.slept_ns = clock.slept_ns.saturating_add(ns);
            Ok(())
        }
        ClockMode::Real => {
            let wanted = Duration::from_nanos(ns);
            let remaining = clock.remaining();
            if wanted >= remaining {
                std::thread::sleep(remaining);
                let message = "the wall-clock limit was reached while the guest slept".to_string();
                return Err(caller.data_mut().deny(Denial::Time(message)));
            }
            std::thread::sleep(wanted);
            Ok(())
        }
    }
}

/// Adds the wrappers to `linker`, shadowing the stock definitions already in it.
pub fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(
        P1,
        "clock_time_get",
        |mut caller: Caller<'_, Host>, id: i32, _precision: i64, out: i32| -> Ret {
            let Some(now) = now_ns(&mut caller, id as u32) else {
                return Ok(ERRNO_INVAL);
            };
            Ok(if write_bytes(&mut caller, out, &now.to_le_bytes()) {
                0
            } else {
                ERRNO_FAULT
            })
        },
    )?;
    linker.func_wrap(P1, "poll_oneoff", poll_oneoff)?;
    linker.func_wrap(P1, "fd_readdir", fd_readdir)?;
    linker.func_wrap(
        P1,
        "fd_filestat_get",
        |mut caller: Caller<'_, Host>, fd: i32, out: i32| -> Ret {
            let errno = stock!(caller, fd_filestat_get).call(&mut caller, (fd, out))?;
            Ok(if errno == 0 {
                virtualize_filestat(&mut caller, out)
            } else {
                errno
            })
        },
    )?;
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
            let errno = stock!(caller, fd_close).call(&mut caller, fd)?;
            if errno == 0 {
                caller.data_mut().stdio_fds.remove(&fd);
                caller.data_mut().far_seeks.remove(&fd);
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
                host.far_seeks.remove(&to);
                if host.far_seeks.remove(&from) {
                    host.far_seeks.insert(to);
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
    linker.func_wrap(
        P1,
        "fd_write",
        |mut caller: Caller<'_, Host>, fd: i32, iovs: i32, n: i32, written: i32| -> Ret {
            let write = stock!(caller, fd_write);
            if caller.data().stdio_fds.contains(&fd) || !caller.data().quota.has_roots() {
                return write.call(&mut caller, (fd, iovs, n, written));
            }
            let Some(len) = iovec_total(&mut caller, iovs, n) else {
                return Ok(ERRNO_INVAL);
            };
            let check = caller.data_mut().quota.before_write(len);
            quota_result(&mut caller, check, Some(fd))?;
            let errno = write.call(&mut caller, (fd, iovs, n, written))?;
            if errno == 0 {
                let wrote = read_u32(&mut caller, written).unwrap_or(0) as u64;
                let host = caller.data_mut();
                let check = if host.far_seeks.remove(&fd) {
                    host.quota.recheck()
                } else {
                    host.quota.grew(wrote)
                };
                quota_result(&mut caller, check, Some(fd))?;
            }
            Ok(errno)
        },
    )?;
    linker.func_wrap(
        P1,
        "fd_pwrite",
        |mut caller: Caller<'_, Host>,
         fd: i32,
         iovs: i32,
         n: i32,
         offset: i64,
         written: i32|
         -> Ret {
            let pwrite = stock!(caller, fd_pwrite);
            if !caller.data().quota.has_roots() {
                return pwrite.call(&mut caller, (fd, iovs, n, offset, written));
            }
            let Some(len) = iovec_total(&mut caller, iovs, n) else {
                return Ok(ERRNO_INVAL);
            };
            let check = caller.data_mut().quota.before_write(len);
            quota_result(&mut caller, check, Some(fd))?;
            let errno = pwrite.call(&mut caller, (fd, iovs, n, offset, written))?;
            if errno == 0 {
                let wrote = read_u32(&mut caller, written).unwrap_or(0) as u64;
                let check = caller
                    .data_mut()
                    .quota
                    .grew((offset as u64).saturating_add(wrote));
                quota_result(&mut caller, check, Some(fd))?;
            }
            Ok(errno)
        },
    )?;
    linker.func_wrap(
        P1,
        "fd_allocate",
        |mut caller: Caller<'_, Host>, fd: i32, offset: i64, len: i64| -> Ret {
            let extent = (offset as u64).saturating_add(len as u64);
            let check = caller.data_mut().quota.before_write(extent);
            quota_result(&mut caller, check, Some(fd))?;
            let errno = stock!(caller, fd_allocate).call(&mut caller, (fd, offset, len))?;
            if errno == 0 {
                let check = caller.data_mut().quota.grew(extent);
                quota_result(&mut caller, check, Some(fd))?;
            }
            Ok(errno)
        },
    )?;
    linker.func_wrap(
        P1,
        "fd_filestat_set_size",
        |mut caller: Caller<'_, Host>, fd: i32, size: i64| -> Ret {
            let errno = stock!(caller, fd_filestat_set_size).call(&mut caller, (fd, size))?;
            if errno == 0 {
                let check = caller.data_mut().quota.grew(size as u64);
                quota_result(&mut caller, check, Some(fd))?;
            }
            Ok(errno)
        },
    )?;
    // A seek past the end followed by a small write makes a sparse file of any size. The seek
    // itself grows nothing (measuring now would find the folders as small as before), so a
    // position that could take them over quota makes the next write measure afterwards.
    linker.func_wrap(
        P1,
        "fd_seek",
        |mut caller: Caller<'_, Host>, fd: i32, offset: i64, whence: i32, out: i32| -> Ret {
            let errno = stock!(caller, fd_seek).call(&mut caller, (fd, offset, whence, out))?;
            if errno == 0
                && !caller.data().stdio_fds.contains(&fd)
                && caller.data().quota.has_roots()
            {
                let position = read_u64(&mut caller, out).unwrap_or(0);
                let host = caller.data_mut();
                if host.quota.has_room_for(position) {
                    host.far_seeks.remove(&fd);
                } else {
                    host.far_seeks.insert(fd);
                }
            }
            Ok(errno)
        },
    )?;
    super::pathcalls::define(linker)?;
    Ok(())
}

/// The wrapped functions and their parameter types, as the shim module declares them.
const WRAPPED: &[(&str, &[&str])] = &[
    ("fd_readdir", &["i32", "i32", "i32", "i64", "i32"]),
    ("fd_filestat_get", &["i32", "i32"]),
    ("path_filestat_get", &["i32", "i32", "i32", "i32", "i32"]),
    ("fd_write", &["i32", "i32", "i32", "i32"]),
    ("fd_pwrite", &["i32", "i32", "i32", "i64", "i32"]),
    ("fd_allocate", &["i32", "i64", "i64"]),
    ("fd_filestat_set_size", &["i32", "i64"]),
    ("fd_seek", &["i32", "i64", "i32", "i32"]),
    (
        "path_open",
        &[
            "i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32",
        ],
    ),
    ("path_create_directory", &["i32", "i32", "i32"]),
    ("path_symlink", &["i32", "i32", "i32", "i32", "i32"]),
    (
        "path_filestat_set_times",
        &["i32", "i32", "i32", "i32", "i64", "i64", "i32"],
    ),
    ("path_readlink", &["i32", "i32", "i32", "i32", "i32", "i32"]),
    ("path_remove_directory", &["i32", "i32", "i32"]),
    ("path_unlink_file", &["i32", "i32", "i32"]),
    ("path_rename", &["i32", "i32", "i32", "i32", "i32", "i32"]),
    ("fd_close", &["i32"]),
    ("fd_renumber", &["i32", "i32"]),
];

/// A tiny module that imports the guest's memory and the stock functions and re-exports
/// both. The stock functions find guest memory through their caller's `memory` export,
/// which a host function calling them directly does not have; called through the shim,
/// their caller is the shim, which exports the guest's memory.
pub fn shim_wat() -> String {
    let mut wat = String::from(
        "(module\n  (import \"guest\" \"memory\" (memory 0))\n  (export \"memory\" (memory 0))\n",
    );
    for (name, params) in WRAPPED {
        let params = params.join(" ");
        wat.push_str(&format!(
            "  (import \"{P1}\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        ));
    }
    for (name, params) in WRAPPED {
        let gets: String = (0..params.len())
            .map(|i| format!(" local.get {i}"))
            .collect();
        let params = params.join(" ");
        wat.push_str(&format!(
            "  (func (export \"{name}\") (param {params}) (result i32){gets} call ${name})\n"
        ));
    }
    wat.push(')');
    wat
}

/// Instantiates the shim against the guest's memory and keeps its functions in the store,
/// so the wrappers can reach the stock functions. A guest without an exported memory gets
/// none (its WASI calls fail anyway).
pub fn attach(
    shim: &wasmtime::Module,
    stock_linker: &Linker<Host>,
    store: &mut wasmtime::Store<Host>,
    guest: wasmtime::Instance,
) -> wasmtime::Result<()> {
    let Some(memory) = guest.get_memory(&mut *store, "memory") else {
        return Ok(());
    };
    let mut imports: Vec<wasmtime::Extern> = vec![memory.into()];
    for (name, _) in WRAPPED {
        let func = stock_linker
            .get(&mut *store, P1, name)
            .ok()
            .ok_or_else(|| wasmtime::format_err!("wasmtime-wasi defines no {name}"))?;
        imports.push(func);
    }
    let instance = wasmtime::Instance::new(&mut *store, shim, &imports)?;
    macro_rules! export {
        ($name:literal) => {
            instance.get_typed_func(&mut *store, $name)?
        };
    }
    let stock = super::host::Stock {
        fd_readdir: export!("fd_readdir"),
        fd_filestat_get: export!("fd_filestat_get"),
        path_filestat_get: export!("path_filestat_get"),
        fd_write: export!("fd_write"),
        fd_pwrite: export!("fd_pwrite"),
        fd_allocate: export!("fd_allocate"),
        fd_filestat_set_size: export!("fd_filestat_set_size"),
        fd_seek: export!("fd_seek"),
        path_open: export!("path_open"),
        path_create_directory: export!("path_create_directory"),
        path_symlink: export!("path_symlink"),
        path_filestat_set_times: export!("path_filestat_set_times"),
        path_readlink: export!("path_readlink"),
        path_remove_directory: export!("path_remove_directory"),
        path_unlink_file: export!("path_unlink_file"),
        path_rename: export!("path_rename"),
        fd_close: export!("fd_close"),
        fd_renumber: export!("fd_renumber"),
    };
    store.data_mut().stock = Some(stock);
    Ok(())
}
