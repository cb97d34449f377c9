//! The WASI preview1 functions the sandbox wraps or replaces, defined over the stock ones.
//!
//! wasmtime-wasi's preview1 implementation is private, so each wrapper calls the stock
//! function (kept per store in `Host::stock`, see [`stock`]) and adjusts what it wrote into
//! guest memory. What this fixes, one file per concern: host clocks and sleeps ([`clocks`]);
//! timestamps, inode numbers and directory order ([`fsview`]); the disk quota, decided
//! before the host writes ([`writes`]); paths across mounts ([`pathcalls`]); descriptor
//! bookkeeping and hard links ([`descriptors`]).

/// The stock function `$name`, or `ENOSYS` from the calling wrapper when the guest is not
/// instantiated yet (a start function calling a wrapped function).
macro_rules! stock {
    ($caller:expr, $name:ident) => {
        match $caller.data().stock.as_ref() {
            Some(stock) => stock.$name.clone(),
            None => return Ok($crate::sandbox::shadow::layout::ERRNO_NOSYS),
        }
    };
}

mod clocks;
mod descriptors;
mod fsview;
pub(super) mod layout;
mod memory;
mod pathcalls;
mod stock;
mod writes;

use wasmtime::{Caller, Linker};

use super::host::{Denial, Host};
use super::quota::QuotaExceeded;
use super::record::DiagnosticKind;

pub use stock::{Stock, attach, shim_wat};

pub(super) const P1: &str = "wasi_snapshot_preview1";

type Ret = wasmtime::Result<i32>;

/// Adds the wrappers to `linker`, shadowing the stock definitions already in it.
pub fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    clocks::define(linker)?;
    fsview::define(linker)?;
    descriptors::define(linker)?;
    writes::define(linker)?;
    pathcalls::define(linker)?;
    Ok(())
}

/// Stops the guest when the quota refused; the refused write is diagnosed, naming the file
/// written through descriptor `fd` when it is known.
fn quota_result(
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
