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
pub(super) mod stock;
mod writes;

use wasmtime::{Caller, Instance, Linker, Store};

use super::host::{Denial, Host};
use super::quota::QuotaExceeded;
use crate::record::DiagnosticKind;

use stock::Stock;
pub use stock::shim_wat;

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

/// Instantiates the shim against the guest's memory and keeps its functions in the store,
/// so the wrappers can reach the stock functions. A guest without an exported memory gets
/// none (its WASI calls fail anyway).
pub fn attach(
    shim: &wasmtime::Module,
    stock_linker: &Linker<Host>,
    store: &mut Store<Host>,
    guest: Instance,
) -> wasmtime::Result<()> {
    let Some(memory) = guest.get_memory(&mut *store, "memory") else {
        return Ok(());
    };
    let mut imports: Vec<wasmtime::Extern> = vec![memory.into()];
    for (name, _) in stock::SIGNATURES {
        let func = stock_linker
            .get(&mut *store, P1, name)
            .ok()
            .ok_or_else(|| wasmtime::format_err!("wasmtime-wasi defines no {name}"))?;
        imports.push(func);
    }
    let instance = Instance::new(&mut *store, shim, &imports)?;
    let stock = Stock::from_shim(&instance, store)?;
    store.data_mut().stock = Some(stock);
    Ok(())
}
