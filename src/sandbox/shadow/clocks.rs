//! Virtual clocks: `clock_time_get` and `poll_oneoff` answer from the run's clock, and
//! sleeping advances it instead of waiting (or, with the real clock, waits no longer than
//! the deadline). Clock ids and descriptors are checked as stock wasmtime-wasi checks them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, Linker};

use super::super::host::{Denial, Host};
use super::super::settings::VIRTUAL_EPOCH_SECS;
use super::descriptors::{Kind, kind_of};
use super::layout::*;
use super::memory::{read_bytes, write_bytes};
use super::{P1, Ret};
use crate::record::ClockMode;

fn fuel_used(caller: &Caller<'_, Host>) -> u64 {
    let left = caller.get_fuel().unwrap_or(0);
    caller.data().fuel_limit.saturating_sub(left)
}

/// Nanoseconds on the realtime or monotonic clock now, as the guest must see them.
fn now_ns(caller: &mut Caller<'_, Host>, id: u32) -> u64 {
    let fuel = fuel_used(caller);
    let clock = &mut caller.data_mut().clock;
    let elapsed = match clock.mode {
        ClockMode::Virtual => clock.virtual_elapsed(fuel),
        ClockMode::Real => clock.started.elapsed().as_nanos() as u64 + clock.slept_ns,
    };
    match (id, clock.mode) {
        (CLOCK_REALTIME, ClockMode::Virtual) => VIRTUAL_EPOCH_SECS * 1_000_000_000 + elapsed,
        (CLOCK_REALTIME, ClockMode::Real) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64,
        _ => elapsed,
    }
}

/// Stock wasmtime-wasi has no process or thread clock: `clock_time_get` and `clock_res_get`
/// answer `EBADF` for them, and any other unknown id is `EINVAL`.
fn clock_time_get(mut caller: Caller<'_, Host>, id: i32, _precision: i64, out: i32) -> Ret {
    let id = id as u32;
    match id {
        CLOCK_REALTIME | CLOCK_MONOTONIC => {}
        CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => return Ok(ERRNO_BADF),
        _ => return Ok(ERRNO_INVAL),
    }
    let now = now_ns(&mut caller, id);
    Ok(if write_bytes(&mut caller, out, &now.to_le_bytes()) {
        0
    } else {
        ERRNO_FAULT
    })
}

/// What one subscription is waiting for.
enum Wait {
    /// A clock, due in this many nanoseconds.
    Clock(u64),
    /// A descriptor, ready at once: reads see end of input, writes never block.
    Ready { kind: u8, hangup: bool },
}

/// Checks a descriptor subscription as stock wasmtime-wasi does: a read needs stdin or a
/// file, a write needs stdout, stderr or a writable file; anything else fails the whole call.
fn descriptor_wait(
    caller: &mut Caller<'_, Host>,
    fd: i32,
    kind: u8,
) -> wasmtime::Result<Result<Wait, i32>> {
    let found = match kind_of(caller, fd)? {
        Ok(found) => found,
        Err(errno) => return Ok(Err(errno)),
    };
    let ready = |hangup| Ok(Ok(Wait::Ready { kind, hangup }));
    match (kind, found) {
        (EVENTTYPE_FD_READ, Kind::File { size, position, .. }) => ready(size <= position),
        (EVENTTYPE_FD_READ, Kind::Stdio { readable: true, .. }) => ready(false),
        (EVENTTYPE_FD_WRITE, Kind::File { writable: true, .. }) => ready(false),
        (
            EVENTTYPE_FD_WRITE,
            Kind::File {
                writable: false, ..
            },
        ) => Ok(Err(ERRNO_PERM)),
        (EVENTTYPE_FD_WRITE, Kind::Stdio { writable: true, .. }) => ready(false),
        _ => Ok(Err(ERRNO_BADF)),
    }
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
    let Some(raw) = read_bytes(&mut caller, subs, count as usize * subscription::SIZE) else {
        return Ok(ERRNO_FAULT);
    };
    // Stock wasmtime-wasi takes a lone relative clock as a plain sleep, on any clock id it
    // knows, and reports it with `nbytes` 1; otherwise only realtime and monotonic are known.
    let lone_sleep = count == 1
        && raw[subscription::TAG.offset()] == EVENTTYPE_CLOCK
        && Raw::<{ subscription::SIZE }>::from_slice(&raw).get(subscription::CLOCK_FLAGS)
            & SUBCLOCKFLAGS_ABSTIME
            == 0;
    let mut waits = Vec::with_capacity(count as usize);
    for bytes in raw.chunks_exact(subscription::SIZE) {
        let sub = Raw::<{ subscription::SIZE }>::from_slice(bytes);
        let userdata = sub.get(subscription::USERDATA);
        let wait = match sub.get(subscription::TAG) {
            EVENTTYPE_CLOCK => {
                let id = sub.get(subscription::CLOCK_ID);
                let known = match lone_sleep {
                    true => id <= CLOCK_THREAD_CPUTIME,
                    false => matches!(id, CLOCK_REALTIME | CLOCK_MONOTONIC),
                };
                if !known {
                    return Ok(ERRNO_INVAL);
                }
                // Read for every clock subscription: each read moves virtual time on.
                let now = now_ns(&mut caller, id);
                let timeout = sub.get(subscription::CLOCK_TIMEOUT);
                let wait = if sub.get(subscription::CLOCK_FLAGS) & SUBCLOCKFLAGS_ABSTIME != 0 {
                    timeout.saturating_sub(now)
                } else {
                    timeout
                };
                Wait::Clock(wait)
            }
            kind @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                let fd = sub.get(subscription::FD) as i32;
                match descriptor_wait(&mut caller, fd, kind)? {
                    Ok(wait) => wait,
                    Err(errno) => return Ok(errno),
                }
            }
            _ => return Ok(ERRNO_INVAL),
        };
        waits.push((userdata, wait));
    }
    let any_ready = waits.iter().any(|(_, w)| matches!(w, Wait::Ready { .. }));
    let soonest = waits
        .iter()
        .filter_map(|(_, w)| match w {
            Wait::Clock(ns) => Some(*ns),
            Wait::Ready { .. } => None,
        })
        .min()
        .unwrap_or(0);
    if !any_ready {
        sleep(&mut caller, soonest)?;
    }
    let mut out = Vec::new();
    let mut ready = 0u32;
    for (userdata, wait) in &waits {
        let mut event = Raw::<{ event::SIZE }>::zeroed();
        event.set(event::USERDATA, *userdata);
        match wait {
            Wait::Ready { kind, hangup } => {
                event.set(event::TYPE, *kind);
                event.set(event::NBYTES, 1);
                if *hangup {
                    event.set(event::FLAGS, EVENTRWFLAGS_HANGUP);
                }
            }
            Wait::Clock(ns) if !any_ready && *ns <= soonest => {
                event.set(event::TYPE, EVENTTYPE_CLOCK);
                if lone_sleep {
                    event.set(event::NBYTES, 1);
                }
            }
            Wait::Clock(_) => continue,
        }
        out.extend_from_slice(&event.0);
        ready += 1;
    }
    if !write_bytes(&mut caller, events, &out)
        || !write_bytes(&mut caller, nevents_ptr, &ready.to_le_bytes())
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

pub(super) fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap(P1, "clock_time_get", clock_time_get)?;
    linker.func_wrap(P1, "poll_oneoff", poll_oneoff)?;
    Ok(())
}
