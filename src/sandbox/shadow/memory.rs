//! Reading and writing the guest's linear memory from a host function.

use wasmtime::{Caller, Memory};

use super::super::host::Host;
use super::layout::Raw;

pub(super) fn memory(caller: &mut Caller<'_, Host>) -> Option<Memory> {
    caller.get_export("memory")?.into_memory()
}

pub fn read_bytes(caller: &mut Caller<'_, Host>, ptr: i32, len: usize) -> Option<Vec<u8>> {
    let memory = memory(caller)?;
    let mut buf = vec![0; len];
    memory.read(&*caller, ptr as u32 as usize, &mut buf).ok()?;
    Some(buf)
}

pub fn write_bytes(caller: &mut Caller<'_, Host>, ptr: i32, data: &[u8]) -> bool {
    match memory(caller) {
        Some(memory) => memory
            .write(&mut *caller, ptr as u32 as usize, data)
            .is_ok(),
        None => false,
    }
}

pub fn read_u32(caller: &mut Caller<'_, Host>, ptr: i32) -> Option<u32> {
    read_bytes(caller, ptr, 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()))
}

/// One struct of `N` bytes at `ptr`.
pub(super) fn read_raw<const N: usize>(caller: &mut Caller<'_, Host>, ptr: i32) -> Option<Raw<N>> {
    read_bytes(caller, ptr, N).map(|b| Raw::from_slice(&b))
}

/// Calls a stock function that writes an `N`-byte struct to an out-pointer, lending it the
/// start of guest memory and restoring it, and the fuel, afterwards: the guest sees nothing
/// of it. `Ok(Err(errno))` when the call failed; `Ok(Err(ERRNO_FAULT))` when the guest has
/// no memory to lend (no memory, no descriptors opened through it either).
pub(super) fn probe<const N: usize>(
    caller: &mut Caller<'_, Host>,
    call: impl FnOnce(&mut Caller<'_, Host>, i32) -> wasmtime::Result<i32>,
) -> wasmtime::Result<Result<Raw<N>, i32>> {
    let Some(memory) = memory(caller).filter(|m| m.data_size(&*caller) >= N) else {
        return Ok(Err(super::layout::ERRNO_FAULT));
    };
    let saved: [u8; N] = memory.data(&*caller)[..N].try_into().unwrap();
    let fuel = caller.get_fuel().ok();
    let result = call(caller, 0);
    let answer = Raw::from_slice(&memory.data(&*caller)[..N]);
    memory.data_mut(&mut *caller)[..N].copy_from_slice(&saved);
    if let Some(fuel) = fuel {
        // Fails only on an engine without fuel metering, which has nothing to restore.
        let _ = caller.set_fuel(fuel);
    }
    Ok(match result? {
        0 => Ok(answer),
        errno => Err(errno),
    })
}
