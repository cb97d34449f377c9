//! Virtual environments of the python-native runner: the host's CPython with binary wheels
//! only, each pinned by sha256, built once per lock and cached under the takehome cache,
//! keyed by the lock's hash.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use sha2::Digest;

use crate::base::Bytes;
use crate::runner::wheels::{LocalWheel, PinnedWheel};

/// The largest environment built when `runners/python-native.toml` sets no `env_limit`.
pub const DEFAULT_ENV_LIMIT: Bytes = Bytes(12 << 30);

/// The largest environment built (`env_limit` of `runners/python-native.toml`): past it the
/// build is removed and refused, naming its size.
pub fn env_limit() -> Bytes {
    super::def().env_limit.unwrap_or(DEFAULT_ENV_LIMIT)
}

/// The host interpreter environments are made from.
#[derive(Clone, Debug)]
pub struct Interpreter {
    /// The interpreter binary itself (not a shim).
    pub executable: PathBuf,
    /// `sys.base_prefix`: mounted read-only into the sandbox at the same path.
    pub prefix: PathBuf,
    /// e.g. `3.11.7`.
    pub version: String,
}

impl Interpreter {
    /// `$TAKEHOME_NATIVE_PYTHON`, else `python3` on `PATH`, asked where it really lives.
    pub fn find() -> anyhow::Result<Interpreter> {
        let program =
            std::env::var("TAKEHOME_NATIVE_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let output = Command::new(&program)
            .args([
                "-c",
                "import sys, json; print(json.dumps([sys.executable, sys.base_prefix, \
                 sys.version.split()[0]]))",
            ])
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run `{program}`: python-native needs CPython"))?;
        let (executable, prefix, version): (String, String, String) =
            serde_json::from_slice(&output.stdout)
                .with_context(|| format!("`{program}` did not describe itself"))?;
        Ok(Interpreter {
            executable: std::fs::canonicalize(&executable).unwrap_or(executable.into()),
            prefix: prefix.into(),
            version,
        })
    }
}

/// The exact wheels of one environment.
#[derive(Clone, Debug, Default)]
pub struct Lock {
    /// Wheels pip fetches from the package index (the runner's base wheels).
    pub wheels: Vec<PinnedWheel>,
    /// Wheels installed from files on this machine (an assignment's packages).
    pub local: Vec<LocalWheel>,
}

impl Lock {
    /// The runner's `base` wheels with `local` ones beside them; a local wheel replaces the
    /// base wheel of its name (a submission's `pandas<3`), the later of two local wheels of
    /// one name replaces the earlier (a submission's over its assignment's).
    pub fn new(base: Vec<PinnedWheel>, local: &[LocalWheel]) -> Lock {
        let name = |w: &PinnedWheel| crate::assignment::normalize_package(&w.name);
        let mut kept: Vec<LocalWheel> = Vec::new();
        for wheel in local {
            kept.retain(|k| name(&k.pin) != name(&wheel.pin));
            kept.push(wheel.clone());
        }
        Lock {
            wheels: base
                .into_iter()
                .filter(|w| !kept.iter().any(|k| name(&k.pin) == name(w)))
                .collect(),
            local: kept,
        }
    }

    /// Every wheel of the lock, wherever its file comes from.
    pub fn pins(&self) -> impl Iterator<Item = &PinnedWheel> {
        self.wheels.iter().chain(self.local.iter().map(|l| &l.pin))
    }

    /// The lock as pip's hash-checking requirements, one `name==version --hash=sha256:H`
    /// a line, sorted: the same wheels always give the same text, wherever their files are.
    pub fn requirements(&self) -> String {
        let mut lines: Vec<String> = self
            .pins()
            .map(|w| format!("{}=={} --hash=sha256:{}\n", w.name, w.version, w.sha256))
            .collect();
        lines.sort();
        lines.dedup();
        lines.concat()
    }

    /// What pip installs: the base wheels by `name==version`, the local ones by their file's
    /// path, every line with its sha256 (pip refuses a file whose bytes differ).
    fn install_requirements(&self) -> String {
        let mut lines: Vec<String> = self
            .wheels
            .iter()
            .map(|w| format!("{}=={} --hash=sha256:{}\n", w.name, w.version, w.sha256))
            .chain(
                self.local
                    .iter()
                    .map(|l| format!("{} --hash=sha256:{}\n", l.path.display(), l.pin.sha256)),
            )
            .collect();
        lines.sort();
        lines.dedup();
        lines.concat()
    }

    /// The environment's key: the lock's text and the interpreter's version.
    pub fn hash(&self, interpreter: &Interpreter) -> String {
        let mut digest = sha2::Sha256::new();
        digest.update(self.requirements());
        digest.update(format!("python {}\n", interpreter.version));
        hex::encode(digest.finalize())
    }

    /// Whether the lock has a wheel of the package `name` (compared as indexes compare names).
    pub fn provides(&self, name: &str) -> bool {
        let name = crate::assignment::normalize_package(name);
        self.pins()
            .any(|w| crate::assignment::normalize_package(&w.name) == name)
    }
}

/// The environment for `lock`, built on first use: `venv` without pip, then pip installs
/// the pinned wheels (`--only-binary :all:`, `--require-hashes`, `--no-deps`), never a
/// source build. Builders of the same lock wait for each other on a file lock.
pub fn ensure(cache: &Path, interpreter: &Interpreter, lock: &Lock) -> anyhow::Result<PathBuf> {
    let envs = cache.join("gvisor").join("envs");
    std::fs::create_dir_all(&envs).with_context(|| format!("cannot make {}", envs.display()))?;
    let key = lock.hash(interpreter);
    let dir = envs.join(&key[..16]);
    let guard = File::create(envs.join(format!("{}.lock", &key[..16])))?;
    // SAFETY: flock(2) on a file this function owns; released when `guard` is dropped.
    if unsafe { libc::flock(guard.as_raw_fd(), libc::LOCK_EX) } != 0 {
        bail!("cannot lock {}", envs.display());
    }
    let done = dir.join(".takehome-complete");
    if done.exists() {
        return Ok(dir);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot clear the unfinished {}", dir.display()))?;
    }
    eprintln!(
        "building the python-native environment {} ({} wheels; once per lock) ...",
        &key[..16],
        lock.wheels.len() + lock.local.len()
    );
    let result = build(cache, interpreter, lock, &dir);
    if let Err(error) = result {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(error);
    }
    std::fs::write(&done, lock.requirements())?;
    Ok(dir)
}

fn build(cache: &Path, interpreter: &Interpreter, lock: &Lock, dir: &Path) -> anyhow::Result<()> {
    run(Command::new(&interpreter.executable)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir))
    .context("cannot make the virtual environment")?;
    let requirements = dir.join(".takehome-requirements.txt");
    std::fs::write(&requirements, lock.install_requirements())?;
    run(Command::new(&interpreter.executable)
        .args(["-m", "pip", "--python"])
        .arg(dir.join("bin").join("python"))
        .args([
            "install",
            "--no-deps",
            "--only-binary=:all:",
            "--require-hashes",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "-r",
        ])
        .arg(&requirements)
        .env("PIP_CACHE_DIR", cache.join("gvisor").join("pip")))
    .context("pip could not install the pinned wheels")?;
    let size = folder_size(dir);
    let limit = env_limit();
    if size > limit.0 {
        bail!(
            "the environment is {} installed, over the limit of {limit} per environment \
             (`env_limit` in runners/python-native.toml)",
            Bytes(size)
        );
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{} failed:\n{}", output.status, tail.join("\n"));
    }
    Ok(())
}

/// Bytes of the files under `dir`, links not followed.
pub fn folder_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => pending.push(entry.path()),
                Ok(meta) => total += meta.len(),
                Err(_) => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(name: &str, sha: char) -> PinnedWheel {
        PinnedWheel {
            name: name.into(),
            version: "1.0".into(),
            file: format!("{name}-1.0-py3-none-any.whl"),
            sha256: sha.to_string().repeat(64),
        }
    }

    fn lock_with_local_at(folder: &str) -> Lock {
        let pin = wheel("shap", 'b');
        Lock {
            wheels: vec![wheel("numpy", 'a')],
            local: vec![LocalWheel {
                path: Path::new(folder).join(&pin.file),
                pin,
                asked_by: "assignment".into(),
            }],
        }
    }

    #[test]
    fn the_lock_key_names_every_wheel_by_hash_wherever_its_file_is() {
        let here = lock_with_local_at("/cache/one");
        let there = lock_with_local_at("/cache/two");
        assert_eq!(
            here.requirements(),
            format!(
                "numpy==1.0 --hash=sha256:{}\nshap==1.0 --hash=sha256:{}\n",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
        assert_eq!(here.requirements(), there.requirements());
        assert!(here.provides("SHAP") && here.provides("numpy") && !here.provides("torch"));
    }

    #[test]
    fn local_wheels_are_installed_from_their_files_with_their_hashes() {
        let text = lock_with_local_at("/cache/one").install_requirements();
        assert!(
            text.contains(&format!(
                "/cache/one/shap-1.0-py3-none-any.whl --hash=sha256:{}\n",
                "b".repeat(64)
            )),
            "{text}"
        );
        assert!(text.contains("numpy==1.0 --hash=sha256:"), "{text}");
    }

    #[test]
    fn a_local_wheel_replaces_the_base_wheel_of_its_name_and_the_later_local_one_wins() {
        let local = |name: &str, sha: char, asked_by: &str| LocalWheel {
            path: format!("/cache/{name}.whl").into(),
            pin: wheel(name, sha),
            asked_by: asked_by.into(),
        };
        let lock = Lock::new(
            vec![wheel("numpy", 'a'), wheel("pandas", 'b')],
            &[
                local("Pandas", 'c', "assignment"),
                local("shap", 'd', "assignment"),
                local("pandas", 'e', "requirements.txt:1"),
            ],
        );
        let names: Vec<&str> = lock.wheels.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["numpy"]);
        let local: Vec<(&str, &str)> = lock
            .local
            .iter()
            .map(|l| (l.pin.name.as_str(), l.asked_by.as_str()))
            .collect();
        assert_eq!(
            local,
            [("shap", "assignment"), ("pandas", "requirements.txt:1")]
        );
    }

    #[test]
    fn the_runner_file_sets_an_environment_limit_that_lets_pytorch_through() {
        assert!(env_limit() >= Bytes(8 << 30), "{}", env_limit());
    }
}
