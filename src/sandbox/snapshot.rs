//! Pre-initialised snapshots of a reactor module, made with wasmtime-wizer's split API:
//! instrument, instantiate under the sandbox's own WASI context, drive it, snapshot.

use std::time::Instant;

use wasmtime::Module;
use wasmtime_wizer::{WasmtimeWizer, Wizer};

use super::capture::{Capture, Overflow};
use super::settings::one_line;
use super::{RunSpec, Sandbox};

impl Sandbox {
    /// Instantiates `wasm` with the mounts, env and args of `spec`, calls `_initialize` and
    /// `wizer.initialize`, runs `source` through `turn`, and returns the snapshot module.
    ///
    /// `step` is told what is happening, for progress display.
    pub fn build_snapshot(
        &self,
        wasm: &[u8],
        spec: &RunSpec,
        source: &str,
        step: &(dyn Fn(&str) + Sync),
    ) -> anyhow::Result<Vec<u8>> {
        super::on_guest_thread(|| self.build_snapshot_here(wasm, spec, source, step))
            .map_err(anyhow::Error::msg)?
    }

    fn build_snapshot_here(
        &self,
        wasm: &[u8],
        spec: &RunSpec,
        source: &str,
        step: &(dyn Fn(&str) + Sync),
    ) -> anyhow::Result<Vec<u8>> {
        let wizer = Wizer::new();
        let (context, instrumented) = wizer
            .instrument(wasm)
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))?;
        step("compiling the instrumented interpreter");
        let module = Module::new(self.engine(), &instrumented)
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))?;
        drop(instrumented);
        step("importing the pre-imported packages");
        let stdout = Capture::new(spec.limits.stdout.0, Overflow::Truncate);
        let stderr = Capture::new(spec.limits.stderr.0, Overflow::Truncate);
        let mut store = self
            .store(spec, &stdout, &stderr, Instant::now())
            .map_err(|e| anyhow::anyhow!(e))?;
        let failed = |what: &str, e: wasmtime::Error, stderr: &Capture| {
            anyhow::anyhow!("{what} failed: {}\n{}", one_line(&e), stderr.record().text)
        };
        let instance = self
            .guest
            .instantiate_pre(&module)
            .and_then(|pre| pre.instantiate(&mut store))
            .map_err(|e| failed("instantiating", e, &stderr))?;
        super::shadow::attach(&self.shim, &self.stock, &mut store, instance)
            .map_err(|e| failed("attaching", e, &stderr))?;
        for init in ["_initialize", "wizer.initialize"] {
            if let Ok(func) = instance.get_typed_func::<(), ()>(&mut store, init) {
                func.call(&mut store, ())
                    .map_err(|e| failed(init, e, &stderr))?;
            }
        }
        let status = super::turn(&mut store, instance, source)
            .map_err(|e| failed("the import turn", e, &stderr))?;
        if status != 0 {
            anyhow::bail!(
                "the import turn exited with status {status}:\n{}",
                stderr.record().text
            );
        }
        step("writing the snapshot");
        let snapshot = futures::executor::block_on(wizer.snapshot(
            &context,
            &mut WasmtimeWizer {
                store: &mut store,
                instance,
            },
        ))
        .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))?;
        Ok(snapshot)
    }
}
