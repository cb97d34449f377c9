//! The shared wasmtime engine, its wall-clock ticker, and the compiled-module cache.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use super::settings::{EngineVariant, Refusal, config, one_line};
use crate::base::Limits;
use crate::record::Verdict;

/// How often the engine's epoch advances; the granularity of the wall-clock limit.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A compiled module and the hash of the bytes it came from.
#[derive(Clone)]
pub struct LoadedModule {
    pub(super) module: Module,
    pub sha256: String,
}

/// The engine plus a process-wide and an on-disk cache of compiled modules.
pub struct Compiler {
    pub engine: Engine,
    /// The engine's settings; the compiling child must use the same.
    variant: EngineVariant,
    cache_dir: Option<PathBuf>,
    loaded: Mutex<HashMap<String, Module>>,
}

impl Compiler {
    pub fn new(engine: Engine, variant: EngineVariant, cache_dir: Option<PathBuf>) -> Self {
        start_ticker(&engine);
        Compiler {
            engine,
            variant,
            cache_dir,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The folder of compiled modules for this engine's settings and this version.
    fn cache_folder(&self) -> Option<PathBuf> {
        let mut hasher = std::hash::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        let key = format!("{:016x}", hasher.finish());
        Some(self.cache_dir.as_ref()?.join("compiled").join(key))
    }

    fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        Some(self.cache_folder()?.join(format!("{sha256}.cwasm")))
    }

    /// Loads a module from untrusted bytes (`.wasm`, or `.wat` text), within `limits`.
    pub fn load_untrusted(&self, bytes: &[u8], limits: &Limits) -> Result<LoadedModule, Refusal> {
        let invalid = |message: String| Refusal {
            verdict: Verdict::InvalidModule,
            message,
        };
        if bytes.len() as u64 > limits.module_size.0 {
            return Err(invalid(format!(
                "module is {} bytes, over the limit of {}",
                bytes.len(),
                limits.module_size
            )));
        }
        let binary: std::borrow::Cow<[u8]> = if bytes.starts_with(b"\0asm") {
            bytes.into()
        } else {
            match std::str::from_utf8(bytes) {
                Ok(text) => wat::parse_str(text)
                    .map_err(|e| invalid(format!("not a wasm module, and not valid wat: {e}")))?
                    .into(),
                Err(_) => return Err(invalid("not a wasm module (no \\0asm header)".into())),
            }
        };
        let sha256 = hex::encode(Sha256::digest(&binary));
        if let Some(module) = self.cached(&sha256) {
            return Ok(LoadedModule { module, sha256 });
        }
        Module::validate(&self.engine, &binary)
            .map_err(|e| invalid(format!("module fails validation: {}", one_line(&e))))?;
        let module = self.compile_in_child(&binary, &sha256, limits.compile)?;
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(sha256.clone(), module.clone());
        }
        Ok(LoadedModule { module, sha256 })
    }

    /// Loads a module the harness provisioned itself (a runner's interpreter): no size or time
    /// cap. `sha256` names it in the cache; the bytes are read and checked only on a miss.
    pub fn load_trusted(
        &self,
        sha256: &str,
        bytes: impl FnOnce() -> anyhow::Result<Vec<u8>>,
    ) -> anyhow::Result<LoadedModule> {
        if let Some(module) = self.cached(sha256) {
            return Ok(LoadedModule {
                module,
                sha256: sha256.to_string(),
            });
        }
        let bytes = bytes()?;
        let actual = hex::encode(Sha256::digest(&bytes));
        anyhow::ensure!(
            actual == sha256,
            "module has sha256 {actual}, expected {sha256}"
        );
        let module = Module::new(&self.engine, &bytes).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        self.remember(sha256, &module);
        Ok(LoadedModule {
            module,
            sha256: sha256.to_string(),
        })
    }

    /// Whether a compiled form of the module with this hash is on disk.
    pub fn is_cached(&self, sha256: &str) -> bool {
        self.cache_path(sha256).is_some_and(|p| p.is_file())
    }

    fn cached(&self, sha256: &str) -> Option<Module> {
        if let Some(module) = self.loaded.lock().ok()?.get(sha256) {
            return Some(module.clone());
        }
        let path = self.cache_path(sha256)?;
        if !path.is_file() {
            return None;
        }
        // SAFETY: files under the cache folder are written only by `remember` below, from
        // modules this engine compiled, and renamed into place whole.
        match unsafe { Module::deserialize_file(&self.engine, &path) } {
            Ok(module) => {
                self.loaded
                    .lock()
                    .ok()?
                    .insert(sha256.to_string(), module.clone());
                Some(module)
            }
            Err(_) => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    fn remember(&self, sha256: &str, module: &Module) {
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(sha256.to_string(), module.clone());
        }
        let Some(path) = self.cache_path(sha256) else {
            return;
        };
        // The cache is an optimisation: failing to write it must not fail the run.
        let _ = crate::base::write_atomically(&path, || {
            module.serialize().map_err(|e| anyhow::anyhow!("{e}"))
        });
    }

    /// Compiles in a child process (see [`super::compile`]), keeps the artifact in the cache
    /// when there is one, and loads it.
    fn compile_in_child(
        &self,
        binary: &[u8],
        sha256: &str,
        limit: Duration,
    ) -> Result<Module, Refusal> {
        let scratch = self.cache_folder().unwrap_or_else(std::env::temp_dir);
        let folder = super::compile::compile_in_child(binary, self.variant, limit, &scratch)?;
        let artifact = super::compile::artifact_path(folder.path());
        // Into the cache by rename (the folder is inside it), so a reader never sees half of it.
        let path = match self.cache_path(sha256) {
            Some(cached) if std::fs::rename(&artifact, &cached).is_ok() => cached,
            _ => artifact,
        };
        // SAFETY: the file was written by this harness's own compile worker, from this
        // engine's settings, into a folder only it writes; wasmtime checks the artifact's
        // version and settings before loading it.
        unsafe { Module::deserialize_file(&self.engine, &path) }.map_err(|e| Refusal {
            verdict: Verdict::Internal,
            message: format!("cannot load the compiled module: {}", one_line(&e)),
        })
    }
}

/// One ticker thread per engine advances its epoch, which is how a running guest
/// notices its wall-clock deadline. It ends when the engine is dropped.
fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    let _ = std::thread::Builder::new()
        .name("epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
        });
}

pub(crate) fn shared(
    cache_dir: Option<PathBuf>,
    variant: EngineVariant,
) -> anyhow::Result<Arc<Compiler>> {
    let engine = Engine::new(&config(variant)).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    Ok(Arc::new(Compiler::new(engine, variant, cache_dir)))
}
