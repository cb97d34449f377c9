//! The state a running guest's store carries: WASI context, limiter, quota, clock, and the
//! first limit the guest hit.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;
use wasmtime_wasi::p1::WasiP1Ctx;

use super::diagnostics::Diagnostics;
use super::paths::GuestPaths;
use super::quota::Quota;
use super::settings::VIRTUAL_EPOCH_SECS;
use super::shadow::stock::Stock;
use crate::record::{ClockMode, Verdict};

/// The first limit the guest ran into. Once set it decides the verdict, whatever follows.
#[derive(Clone, Debug)]
pub enum Denial {
    Time(String),
    Disk(String),
}

impl Denial {
    pub fn verdict(&self) -> Verdict {
        match self {
            Denial::Time(_) => Verdict::TimeLimit,
            Denial::Disk(_) => Verdict::DiskLimit,
        }
    }
    pub fn message(&self) -> &str {
        match self {
            Denial::Time(m) | Denial::Disk(m) => m,
        }
    }
}

/// The error that stops a guest when a limit is hit; the cause itself is in `Host::denial`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LimitReached(pub String);

/// Caps linear memory and tables, and remembers the peak.
pub struct Limiter {
    pub memory_cap: usize,
    pub table_cap: usize,
    pub current: usize,
    pub peak: usize,
    pub denial: Option<String>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let next = self.current.saturating_sub(current).saturating_add(desired);
        if next > self.memory_cap {
            let message = format!(
                "linear memory would grow to {desired} bytes, over the limit of {} bytes",
                self.memory_cap
            );
            self.denial.get_or_insert(message.clone());
            return Err(wasmtime::Error::new(LimitReached(message)));
        }
        self.current = next;
        self.peak = self.peak.max(next);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_cap {
            let message = format!(
                "a table would grow to {desired} elements, over the limit of {}",
                self.table_cap
            );
            self.denial.get_or_insert(message.clone());
            return Err(wasmtime::Error::new(LimitReached(message)));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        4
    }
    fn tables(&self) -> usize {
        16
    }
    fn memories(&self) -> usize {
        4
    }
}

/// Time as the guest sees it.
pub struct Clock {
    pub mode: ClockMode,
    pub deadline: Instant,
    pub started: Instant,
    /// Nanoseconds the guest asked to sleep (virtual mode: slept instantly).
    pub slept_ns: u64,
    pub reads: u64,
}

impl Clock {
    /// Virtual nanoseconds since the run started: one per unit of fuel, plus sleeps, plus
    /// a microsecond per read so that time always moves.
    pub fn virtual_elapsed(&mut self, fuel_used: u64) -> u64 {
        self.reads += 1;
        fuel_used
            .saturating_add(self.slept_ns)
            .saturating_add(self.reads.saturating_mul(1_000))
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// Host inode numbers mapped to small ones in order of first sight, which is
/// the same on every run of a deterministic guest.
#[derive(Default)]
pub struct Inodes(HashMap<u64, u64>);

impl Inodes {
    pub fn virtual_of(&mut self, host: u64) -> u64 {
        let next = self.0.len() as u64 + 1;
        *self.0.entry(host).or_insert(next)
    }
}

pub struct Host {
    pub wasi: WasiP1Ctx,
    pub limiter: Limiter,
    pub stock: Option<Stock>,
    pub denial: Option<Denial>,
    pub quota: Quota,
    pub clock: Clock,
    pub inodes: Inodes,
    pub fuel_limit: u64,
    /// Descriptors that still are the captured stdin, stdout and stderr: writes to them are
    /// not disk writes. `fd_close` and `fd_renumber` can put a file at 0, 1 or 2, so this
    /// follows them rather than trusting the numbers.
    pub stdio_fds: BTreeSet<i32>,
    /// The guest paths of preopens and opened descriptors.
    pub paths: GuestPaths,
    /// What the run did that a reviewer should know.
    pub diagnostics: Diagnostics,
    /// The guest path of the working copy (or output folder), from which reviewers see paths.
    pub work_guest: String,
    /// Whether opens of missing files are diagnosed by the host (the Python prelude reports
    /// them itself, as the program wrote them).
    pub report_missing_files: bool,
}

impl Host {
    /// Records the first denial and returns the error that stops the guest.
    pub fn deny(&mut self, denial: Denial) -> wasmtime::Error {
        let message = denial.message().to_string();
        self.denial.get_or_insert(denial);
        wasmtime::Error::new(LimitReached(message))
    }
}

/// A wall clock frozen at the virtual epoch, for the few WASI paths that read it directly.
pub struct FrozenWallClock;

impl wasmtime_wasi::HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_micros(1)
    }
    fn now(&self) -> Duration {
        Duration::from_secs(VIRTUAL_EPOCH_SECS)
    }
}

pub struct FrozenMonotonicClock;

impl wasmtime_wasi::HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000
    }
    fn now(&self) -> u64 {
        0
    }
}
