//! The run record: what one run did, as data, written by the sandboxes and read by every stage
//! above them (packets and grading read it; they never run code). Rendering lives with the callers.

use serde::{Deserialize, Serialize};

use crate::base::Limits;
pub use crate::base::difference::{Cause, Difference, DifferenceKind, NumberChange};

pub mod methodology;
mod summary;
pub use methodology::{Finding, FindingKind, Location, Methodology, Severity};
pub use summary::summary;

/// The wasmtime this build embeds, as a record's `versions` names it.
pub const WASMTIME_VERSION: &str = env!("TAKEHOME_WASMTIME_VERSION");

crate::base::closed::closed_set! {
    /// How a run ended. The strings are part of the interface (`verdict` in the JSON record).
    pub enum Verdict("a verdict") {
        /// Exit code 0.
        Ok = "ok",
        /// A non-zero exit code, in `exit_code`.
        Exit = "exit",
        /// A wasm trap, named in `trap`.
        Trap = "trap",
        /// The wall-clock limit was reached.
        TimeLimit = "time_limit",
        /// The fuel (instruction) budget ran out.
        FuelLimit = "fuel_limit",
        /// Linear memory (or a table) would have grown past the cap.
        MemoryLimit = "memory_limit",
        /// stdout would have grown past its cap.
        OutputLimit = "output_limit",
        /// The writable folders would have held more bytes or files than allowed.
        DiskLimit = "disk_limit",
        /// Not wasm, corrupt, too large, or failing validation.
        InvalidModule = "invalid_module",
        /// An import the host does not provide, or provides with another type.
        LinkError = "link_error",
        /// Compiling took more time than allowed.
        CompileLimit = "compile_limit",
        /// A fault of the harness itself.
        Internal = "internal",
        /// A process or thread could not be started past the process limit (gVisor tier).
        ProcessLimit = "process_limit",
    }
}

/// One captured output stream.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRecord {
    /// The kept bytes as lossy UTF-8.
    pub text: String,
    /// How many bytes the guest wrote, kept or not.
    pub bytes: u64,
    /// sha256 of the kept bytes.
    pub sha256: String,
    /// Whether bytes were dropped because of the stream's cap.
    pub truncated: bool,
}

/// One file the run created or changed (in its working copy, or in `/out` for wasm).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Path relative to the working copy's top (or to `/out`), `/`-separated.
    pub path: String,
    pub bytes: u64,
    /// sha256 of the content; `None` when the entry was not read (a link, or larger than the quota).
    pub sha256: Option<String>,
    pub kind: OutputKind,
}

crate::base::closed::closed_set! {
    /// What kind of entry a run left.
    pub enum OutputKind("an output kind") {
        File = "file",
        Symlink = "symlink",
        Other = "other",
    }
}

/// What a diagnostic is about. The strings are part of the interface (`kind` in the record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticKind {
    /// An import the sandbox could not satisfy; `detail` is the module name.
    MissingModule,
    /// A file or folder the code tried to open that does not exist; `detail` is the path.
    MissingFile,
    /// An attempt to reach the network; `detail` is the host, `host:port` or URL.
    Network,
    /// A write refused: by the disk quota, or into a read-only folder; `detail` is the path.
    WriteRefused,
    /// A path written with Windows separators, opened with `/` instead; `detail` is the path
    /// as the program gave it.
    TranslatedPath,
    /// The submission's own `data/` folder, hidden by the assignment's public data.
    DataShadowed,
    /// Code written for an older version of a library; `detail` is the library.
    VersionDrift,
}

impl DiagnosticKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticKind::MissingModule => "missing_module",
            DiagnosticKind::MissingFile => "missing_file",
            DiagnosticKind::Network => "network",
            DiagnosticKind::WriteRefused => "write_refused",
            DiagnosticKind::TranslatedPath => "translated_path",
            DiagnosticKind::DataShadowed => "data_shadowed",
            DiagnosticKind::VersionDrift => "version_drift",
        }
    }
}

/// One thing a reviewer should know about a run, with how often it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    /// The module, path, host or URL concerned, as the program named it.
    pub detail: String,
    /// How many times it happened.
    pub count: u64,
    /// One readable line saying what happened.
    pub message: String,
}

impl Diagnostic {
    /// The diagnostic as one line: its message and, past the first, how many times.
    pub fn line(&self) -> String {
        match self.count {
            1 => self.message.clone(),
            n => format!("{} ({n} times)", self.message),
        }
    }
}

/// How time behaved inside the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// Clocks start at a fixed instant and advance with fuel used and sleeps: reproducible.
    #[default]
    Virtual,
    /// The host's clocks and real sleeps (`--real-clock`): not reproducible.
    Real,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    pub takehome: String,
    pub wasmtime: String,
}

impl Versions {
    pub fn current() -> Self {
        Versions {
            takehome: env!("CARGO_PKG_VERSION").to_string(),
            wasmtime: WASMTIME_VERSION.to_string(),
        }
    }
}

/// Which runner ran the program, for provenance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The program handed to the runner (a script), when it is not the module itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preimported: Vec<String>,
    /// python-native: the wheels installed beyond the runner's base wheels (an
    /// assignment's packages, a submission's own), each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<InstalledPackage>,
}

/// One wheel a python-native run had beyond the runner's base wheels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPackage {
    pub name: String,
    pub version: String,
    pub sha256: String,
    /// `assignment`, `dependency`, or the submission's request that named it
    /// (`requirements.txt:3`, `import seaborn (main.py:2)`).
    pub asked_by: String,
}

/// Everything known about one run. Serialised as the JSON run record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub verdict: Verdict,
    pub exit_code: Option<i32>,
    pub trap: Option<String>,
    /// One readable line saying what happened.
    pub message: String,
    pub fuel_used: u64,
    pub wall_ms: u64,
    pub peak_memory_bytes: u64,
    pub stdout: StreamRecord,
    pub stderr: StreamRecord,
    pub outputs: Vec<OutputFile>,
    /// What a reviewer should know about the run: missing modules and files, network
    /// attempts, refused writes, translated paths; in order of first occurrence.
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
    pub module_sha256: String,
    pub seed: u64,
    pub clock: ClockMode,
    pub args: Vec<String>,
    pub limits: Limits,
    pub runner: RunnerInfo,
    pub versions: Versions,
    /// For a notebook: what each code cell did. `None` for scripts and modules. With several
    /// entries, the first notebook's (each one's is in `entries`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook: Option<NotebookRecord>,
    /// With several entry points run in order in one working copy: what each did, in order.
    /// Empty for a single entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<EntryRecord>,
    /// Which tier isolated the program. Left out for `wasm`, so WebAssembly records read
    /// as before; a record without it is a WebAssembly one.
    #[serde(default, skip_serializing_if = "Isolation::is_wasm")]
    pub isolation: Isolation,
    /// For a gVisor run: runsc's version and platform, and the limits only that tier has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gvisor: Option<GvisorInfo>,
    /// What the methodology tracer saw (Python runs that used scikit-learn or pandas):
    /// leakage and test-set misuse, each finding with its evidence and line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methodology: Option<Methodology>,
    /// When this run is an assignment's fallback (`[runner] fallback`): the run it replaces,
    /// which ended with `missing_module` for a package this runner provides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_of: Option<Box<RunRecord>>,
}

/// The isolation tier of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// wasmtime, the `wasi`, `python` and `python-plain` runners.
    #[default]
    Wasm,
    /// gVisor (runsc), the `python-native` runner.
    Gvisor,
}

impl Isolation {
    pub fn is_wasm(&self) -> bool {
        *self == Isolation::Wasm
    }
}

/// What a gVisor run ran on, for its record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GvisorInfo {
    /// `runsc --version`'s first line.
    pub runsc: String,
    /// runsc's `--platform` (`ptrace`, `systrap`, `kvm`).
    pub platform: String,
    /// The CPU-time limit, in seconds.
    pub cpu_seconds: u64,
    /// The process limit (`RLIMIT_NPROC` inside the sandbox).
    pub processes: u64,
}

/// One of several entry points of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRecord {
    /// The entry, relative to the folder it ran in.
    pub path: String,
    pub kind: EntryKind,
    /// `ok` (ran clean), `error` (raised, exited non-zero or was stopped by a limit) or
    /// `skipped` (not reached).
    pub status: CellStatus,
    /// A script's exit code (a notebook with a failing cell counts as 1); `None` when a
    /// limit stopped it or it was not reached.
    pub exit_code: Option<i32>,
    /// One readable line: what went wrong, or that it ran clean.
    pub message: String,
    /// Fuel the entry used, as the virtual clock counts it (see [`CellRecord::fuel_used`]).
    pub fuel_used: u64,
    /// For a notebook: what each code cell did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook: Option<NotebookRecord>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Script,
    Notebook,
}

/// What a notebook run did, cell by cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotebookRecord {
    /// The notebook, relative to the folder it ran in.
    pub path: String,
    /// One entry per code cell, in order.
    pub cells: Vec<CellRecord>,
    /// The saved execution counts are not increasing: the saved outputs come from no single
    /// top-to-bottom run.
    pub out_of_order: bool,
    /// The executed notebook, relative to the output folder, when one was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed: Option<String>,
}

/// One code cell of a notebook run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellRecord {
    /// Position among all the notebook's cells, 0-based.
    pub index: usize,
    pub status: CellStatus,
    pub execution_count: Option<u64>,
    /// Fuel the cell used, as the virtual clock counts it (one nanosecond per unit, plus
    /// virtual sleeps and a microsecond per clock read); 0 when it did not run or the run
    /// used the real clock.
    pub fuel_used: u64,
    pub outputs: Vec<CellOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CellError>,
    pub saved_output: SavedOutput,
    /// How the saved outputs differ from the rerun's, when they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<Difference>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    Ok,
    Error,
    /// Not reached: a limit stopped the run before it.
    Skipped,
}

/// One output of a cell: its nbformat `output_type` and the MIME types it carries (empty
/// for streams and errors).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellOutput {
    pub output_type: String,
    pub mime: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellError {
    pub ename: String,
    pub evalue: String,
}

/// How the outputs saved in the notebook compare with the re-executed ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedOutput {
    Same,
    Differs,
    /// The file saved no outputs for the cell.
    None,
}

impl RunRecord {
    /// Every notebook the run executed, in order: each entry's, else the only one.
    pub fn notebooks(&self) -> Vec<&NotebookRecord> {
        if self.entries.is_empty() {
            self.notebook.iter().collect()
        } else {
            self.entries
                .iter()
                .filter_map(|e| e.notebook.as_ref())
                .collect()
        }
    }

    /// The parts that must be identical between two runs of the same inputs.
    /// Wall time is left out: it is the one thing a deterministic run cannot fix. So is a
    /// gVisor run's peak memory, which is its cgroup's (the sandbox's own kernel included).
    pub fn reproducible_part(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("records serialise");
        if let Some(map) = value.as_object_mut() {
            map.remove("wall_ms");
            if self.isolation == Isolation::Gvisor {
                map.remove("peak_memory_bytes");
            }
        }
        value
    }
}
