//! Hard limits for a helper child process (PDF reader, ONNX runner, compiler), set between
//! fork and exec so the child never runs without them.

use std::process::Command;

pub struct ChildLimits {
    pub cpu_seconds: u64,
    pub address_space: u64,
    pub file_size: u64,
    /// The child is killed when the parent dies.
    pub die_with_parent: bool,
}

/// Applies `limits` (and no core dumps) to the child `command` will start.
pub fn limit(command: &mut Command, limits: ChildLimits) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (setrlimit, prctl) run between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let set = |resource, value: u64| {
                let limit = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_CPU, limits.cpu_seconds)?;
            set(libc::RLIMIT_AS, limits.address_space)?;
            set(libc::RLIMIT_FSIZE, limits.file_size)?;
            set(libc::RLIMIT_CORE, 0)?;
            if limits.die_with_parent && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
