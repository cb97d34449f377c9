//! A file-system view that says nothing about the host: fixed device, small inode numbers in
//! order of first sight, one link, fixed times, folders of size 0, listings sorted by name.

use wasmtime::{Caller, Linker};

use super::super::host::Host;
use super::super::settings::VIRTUAL_EPOCH_SECS;
use super::layout::*;
use super::memory::{memory, read_raw, write_bytes};
use super::{P1, Ret};

/// Rewrites the filestat the stock function wrote at `ptr`.
pub(super) fn virtualize_filestat(caller: &mut Caller<'_, Host>, ptr: i32) -> i32 {
    let Some(mut stat) = read_raw::<{ filestat::SIZE }>(caller, ptr) else {
        return ERRNO_FAULT;
    };
    let ino = caller.data_mut().inodes.virtual_of(stat.get(filestat::INO));
    let fixed_time = VIRTUAL_EPOCH_SECS * 1_000_000_000;
    stat.set(filestat::DEV, 1);
    stat.set(filestat::INO, ino);
    stat.set(filestat::NLINK, 1);
    if stat.get(filestat::FILETYPE) == FILETYPE_DIRECTORY {
        stat.set(filestat::FILE_SIZE, 0);
    }
    for time in [filestat::ATIM, filestat::MTIM, filestat::CTIM] {
        stat.set(time, fixed_time);
    }
    if write_bytes(caller, ptr, &stat.0) {
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
        while pos + dirent::SIZE <= used {
            let header = Raw::<{ dirent::SIZE }>::from_slice(&data[pos..]);
            let len = header.get(dirent::NAMLEN) as usize;
            let name_at = pos + dirent::SIZE;
            if name_at + len > used {
                break;
            }
            entries.push(DirEntry {
                name: data[name_at..name_at + len].to_vec(),
                host_ino: header.get(dirent::INO),
                kind: header.get(dirent::TYPE),
            });
            cookie = header.get(dirent::NEXT) as i64;
            pos = name_at + len;
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
        let mut header = Raw::<{ dirent::SIZE }>::zeroed();
        header.set(dirent::NEXT, index as u64 + 1);
        header.set(
            dirent::INO,
            caller.data_mut().inodes.virtual_of(entry.host_ino),
        );
        header.set(dirent::NAMLEN, entry.name.len() as u32);
        header.set(dirent::TYPE, entry.kind);
        out.extend_from_slice(&header.0);
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

pub(super) fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
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
    Ok(())
}
