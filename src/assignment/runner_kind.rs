//! The runners an assignment or a submission can name (`[runner] name`, `runner = ...`): a
//! closed set, parsed once. What each runner is and does lives in `runner`.

/// The runners a program can be run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerKind {
    /// A WebAssembly module run as it is.
    Wasi,
    /// Python from the scientific snapshot (numpy, pandas, scikit-learn, matplotlib pre-imported).
    Python,
    /// Python from the stock interpreter, without the scientific snapshot.
    PythonPlain,
    /// The host's CPython with binary wheels (LightGBM, XGBoost, ...) inside gVisor.
    PythonNative,
}

impl RunnerKind {
    pub fn name(self) -> &'static str {
        match self {
            RunnerKind::Wasi => "wasi",
            RunnerKind::Python => "python",
            RunnerKind::PythonPlain => "python-plain",
            RunnerKind::PythonNative => "python-native",
        }
    }

    pub fn all() -> [RunnerKind; 4] {
        [
            RunnerKind::Wasi,
            RunnerKind::Python,
            RunnerKind::PythonPlain,
            RunnerKind::PythonNative,
        ]
    }
}

impl std::str::FromStr for RunnerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RunnerKind::all()
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = RunnerKind::all().iter().map(|k| k.name()).collect();
                format!("`{s}` is not a runner: use {}", names.join(", "))
            })
    }
}

impl std::fmt::Display for RunnerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
