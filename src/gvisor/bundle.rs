//! The OCI bundle of one run: `config.json` and a root file system that holds only mount
//! points, a few symlinks into `/usr` and a minimal `/etc`.

use std::path::{Component, Path};

use anyhow::Context;
use serde_json::{Value, json};

use super::Spec;
use super::rundir::NOBODY;

/// Writes `bundle/config.json` and `bundle/rootfs` for `spec`, the program seeing the
/// cgroup `cgroup_path`.
pub fn write(bundle: &Path, spec: &Spec, cgroup_path: &str) -> anyhow::Result<()> {
    let rootfs = bundle.join("rootfs");
    for dir in ["proc", "dev", "sys", "tmp", "usr", "etc"] {
        make_dir(&rootfs, dir)?;
    }
    for (link, target) in [
        ("bin", "usr/bin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
        ("sbin", "usr/sbin"),
    ] {
        std::os::unix::fs::symlink(target, rootfs.join(link))
            .with_context(|| format!("cannot make {}", rootfs.join(link).display()))?;
    }
    let etc = [
        (
            "passwd",
            "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/tmp:/bin/sh\n",
        ),
        ("group", "root:x:0:\nnogroup:x:65534:\n"),
        ("hosts", "127.0.0.1 localhost\n"),
    ];
    for (name, text) in etc {
        std::fs::write(rootfs.join("etc").join(name), text)?;
    }
    for mount in &spec.mounts {
        make_dir(&rootfs, &mount.guest)?;
    }
    let mut spec = spec.clone();
    for mount in &mut spec.mounts {
        // runsc takes absolute sources only; a missing one is the caller's error, named.
        mount.host = std::fs::canonicalize(&mount.host)
            .with_context(|| format!("cannot mount {} at {}", mount.host.display(), mount.guest))?;
    }
    let text = serde_json::to_string_pretty(&config(&spec, cgroup_path))?;
    std::fs::write(bundle.join("config.json"), text)
        .with_context(|| format!("cannot write {}/config.json", bundle.display()))
}

/// Makes `rootfs/guest`, refusing a guest path that climbs out of it.
fn make_dir(rootfs: &Path, guest: &str) -> anyhow::Result<()> {
    let relative = Path::new(guest.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        anyhow::bail!("the mount point `{guest}` is not a plain absolute path");
    }
    let dir = rootfs.join(relative);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))
}

fn config(spec: &Spec, cgroup_path: &str) -> Value {
    let limits = &spec.limits;
    let rlimit = |kind: &str, n: u64| json!({"type": kind, "soft": n, "hard": n});
    let mut mounts = vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc"}),
        json!({
            "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
            "options": ["nosuid", "nodev", "noexec", format!("size={}", limits.shm.0)],
        }),
    ];
    for mount in &spec.mounts {
        let access = if mount.writable { "rw" } else { "ro" };
        mounts.push(json!({
            "destination": mount.guest,
            "type": "bind",
            "source": mount.host,
            "options": ["rbind", access, "nosuid", "nodev"],
        }));
    }
    let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": NOBODY, "gid": NOBODY},
            "args": wrapped_args(spec),
            "env": env,
            "cwd": spec.cwd,
            "capabilities": {
                "bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": []
            },
            "rlimits": [
                rlimit("RLIMIT_NPROC", limits.processes),
                rlimit("RLIMIT_FSIZE", limits.file_size.0),
                rlimit("RLIMIT_NOFILE", 1024),
                rlimit("RLIMIT_CORE", 0),
            ],
            "noNewPrivileges": true,
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "sandbox",
        "mounts": mounts,
        "linux": {
            "cgroupsPath": cgroup_path,
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                {"type": "uts"}, {"type": "mount"},
            ],
        },
    })
}

/// The program's argv behind a `/bin/sh` that sets the CPU-time limit: runsc ignores
/// `RLIMIT_CPU` in `process.rlimits`, but enforces one set inside the sandbox (SIGXCPU).
fn wrapped_args(spec: &Spec) -> Vec<String> {
    let seconds = spec.limits.cpu.as_secs().max(1);
    let script = format!(
        "ulimit -S -t {seconds} && ulimit -H -t {} && exec \"$@\"",
        seconds + 1
    );
    ["/bin/sh", "-c", &script, "sh"]
        .into_iter()
        .map(String::from)
        .chain(spec.argv.iter().cloned())
        .collect()
}
