//! The python-native runner's limits, from the limits every runner shares.

use std::time::Duration;

use crate::base::{Bytes, Limits};
use crate::gvisor::NativeLimits;

/// Processes and threads a python-native program may have at once (`RLIMIT_NPROC`).
pub const PROCESSES: u64 = 64;
/// Size of `/dev/shm` (joblib's and multiprocessing's shared memory).
pub const SHM: Bytes = Bytes(64 << 20);

/// The gVisor limits of a run held to `limits`: the same wall, memory, stdout, stderr and
/// disk (`out_bytes`, the working copy and `/tmp` together); CPU time
/// equal to the wall time (more than one thread can spend it faster).
pub fn native(limits: &Limits) -> NativeLimits {
    NativeLimits {
        wall: limits.wall,
        cpu: limits.wall.max(Duration::from_secs(1)),
        memory: limits.memory,
        processes: PROCESSES,
        stdout: limits.stdout,
        stderr: limits.stderr,
        disk: limits.out_bytes,
        // Above the scratch's room, so a big file fills the quota (ENOSPC, `disk_limit`)
        // before this backstop ends it.
        file_size: crate::base::Bytes(limits.out_bytes.0 + (4 << 20)),
        shm: SHM,
    }
}
