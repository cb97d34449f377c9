//! The harness's own Python in a run (the support module, the methodology tracer, the
//! notebook and entries drivers): compiled once into the snapshot, or sent as text.
//!
//! Sending them as text costs every run the parsing of about 90 KB of Python, as much as a
//! short program; a run on a snapshot that compiled these very sources sends only their
//! hashes.

use sha2::{Digest, Sha256};

/// The support module every prelude loads first (`_takehome` in the guest): argv, env,
/// working folder, sys.path and seeds; messages for missing modules; notes of missing files
/// and network attempts for the record's diagnostics.
pub const SUPPORT: &str = include_str!("python_support.py");

/// The notebook driver: runs cells in IPython's shell and writes each cell's record.
pub(crate) const NOTEBOOK_DRIVER: &str = include_str!("notebook_driver.py");

/// The driver of several entries in one run (scripts and notebooks in order).
pub(crate) const ENTRIES_DRIVER: &str = include_str!("entries_driver.py");

/// The attribute of `sys` under which the snapshot keeps the harness's sources compiled,
/// `{name: (key, code)}`; [`Support::load`] takes it out before the program can see it.
const COMPILED_IN_SNAPSHOT: &str = "_takehome_compiled";

/// The harness's sources the snapshot compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Support,
    Tracer,
    Analysis,
    /// A driver, run at the top level of a run's source ([`Support::driver`]).
    NotebookDriver,
    EntriesDriver,
}

impl Source {
    const ALL: [Source; 5] = [
        Source::Support,
        Source::Tracer,
        Source::Analysis,
        Source::NotebookDriver,
        Source::EntriesDriver,
    ];

    /// The name the guest asks for it by (`_takehome.compiled(name, ...)`).
    fn name(self) -> &'static str {
        match self {
            Source::Support => "support",
            Source::Tracer => "tracer",
            Source::Analysis => "analysis",
            Source::NotebookDriver => "notebook",
            Source::EntriesDriver => "entries",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Source::Support => SUPPORT,
            Source::Tracer => super::methodology::TRACER,
            Source::Analysis => super::methodology::ANALYSIS,
            Source::NotebookDriver => NOTEBOOK_DRIVER,
            Source::EntriesDriver => ENTRIES_DRIVER,
        }
    }

    /// What stands for the source in the guest's table: its hash, which is never valid
    /// Python, so a mismatch can only ever compile the real text. Hashed once per process.
    fn key(self) -> &'static str {
        static KEYS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| Source::ALL.iter().map(|s| hash(s.text())).collect());
        &KEYS[self as usize]
    }
}

fn hash(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text)))
}

/// One hash for everything [`compile_in_snapshot`] compiles, kept in the install record:
/// a snapshot whose record carries another was built by another version of the harness.
pub fn compiled_sources_key() -> &'static str {
    static KEY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let keys: Vec<&str> = Source::ALL.iter().map(|s| s.key()).collect();
        hash(&keys.join("\n"))
    });
    &KEY
}

/// Python source, run when the snapshot is built, that compiles every harness source and
/// keeps it in `sys` under its key.
pub fn compile_in_snapshot() -> String {
    let entries: Vec<String> = Source::ALL
        .iter()
        .map(|source| {
            format!(
                "({}, {}, {})",
                py_str(source.name()),
                py_str(source.key()),
                py_str(source.text())
            )
        })
        .collect();
    format!(
        "sys.{COMPILED_IN_SNAPSHOT} = {{}}\n\
         for _name, _key, _source in [{}]:\n    \
         sys.{COMPILED_IN_SNAPSHOT}[_name] = (_key, compile(_source, '<takehome>', 'exec'))\n\
         del _name, _key, _source\n",
        entries.join(", ")
    )
}

/// `text` as a Python string literal.
pub(crate) fn py_str(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

/// How a run's Python gets the harness's sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Support {
    precompiled: bool,
}

impl Support {
    /// As text, compiled by the run: the plain and native runners.
    pub const TEXT: Support = Support { precompiled: false };

    /// For a run on a snapshot whose install record says it compiled `compiled_sources`: by
    /// hash when that is exactly these sources, else as text (an older harness built it).
    pub fn for_snapshot(compiled_sources: &str) -> Support {
        Support {
            precompiled: compiled_sources == compiled_sources_key(),
        }
    }

    fn literal(&self, source: Source) -> String {
        py_str(if self.precompiled {
            source.key()
        } else {
            source.text()
        })
    }

    /// Python source that loads [`SUPPORT`] as the module `_takehome`, with the methodology
    /// tracer beside it (compiled only if the program imports scikit-learn or pandas; it never
    /// gets an importable name of its own).
    pub fn load(&self) -> String {
        let (tracer, analysis) = if super::methodology::enabled() {
            (self.literal(Source::Tracer), self.literal(Source::Analysis))
        } else {
            ("None".to_string(), "None".to_string())
        };
        format!(
            "import sys as _sys, types as _types\n\
             _c = vars(_sys).pop({cache}, {{}})\n\
             _s = {src}\n\
             _m = _types.ModuleType('_takehome')\n\
             _m.__file__ = '<takehome>'\n\
             exec(_c['support'][1] if _c.get('support', ('',))[0] == _s \
             else compile(_s, '<takehome>', 'exec'), _m.__dict__)\n\
             _m._compiled = _c\n\
             _m._method_source = {tracer}\n\
             _m._analysis_source = {analysis}\n\
             _sys.modules['_takehome'] = _m\n\
             del _m, _sys, _types, _c, _s\n",
            cache = py_str(COMPILED_IN_SNAPSHOT),
            src = self.literal(Source::Support),
        )
    }

    /// A statement that runs `driver` ([`Source::NotebookDriver`] or
    /// [`Source::EntriesDriver`]) at the top level of the run's source, after [`Support::load`].
    pub fn driver(&self, driver: Source) -> String {
        format!(
            "exec(__import__('_takehome').compiled({}, {}), globals())\n",
            py_str(driver.name()),
            self.literal(driver)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_never_python_so_a_stale_snapshot_compiles_the_text() {
        let key = Source::Support.key();
        assert!(key.starts_with("sha256:") && key.len() == 7 + 64);
        let text = Support::TEXT.load();
        assert!(text.contains("def prepare(") && !text.contains("sha256:"));
        let fast = Support { precompiled: true }.load();
        assert!(fast.contains(key) && !fast.contains("def prepare("));
        assert!(fast.len() < 2_000, "{} bytes", fast.len());
    }

    #[test]
    fn every_driver_has_a_source_in_the_snapshot() {
        for driver in [Source::NotebookDriver, Source::EntriesDriver] {
            assert!(Support::TEXT.driver(driver).contains("globals()"));
            assert!(compile_in_snapshot().contains(driver.key()));
        }
        assert_eq!(Source::EntriesDriver.key(), hash(ENTRIES_DRIVER));
    }
}
