//! What the parts of the sandbox must agree on: the engine's settings and stack sizes (the
//! compiling child uses the same), the virtual clocks' epoch (the working copy's file times),
//! and how a module that cannot be made ready is refused.

use wasmtime::Config;

use crate::record::Verdict;

/// The instant virtual clocks start at: 2024-01-01T00:00:00Z.
pub const VIRTUAL_EPOCH_SECS: u64 = 1_704_067_200;

/// Largest wasm call stack a guest may use. CPython needs a deep one.
pub const MAX_WASM_STACK: usize = 8 << 20;

/// Native stack of the thread that runs a guest: the wasm stack plus room for host calls.
pub const RUN_THREAD_STACK: usize = MAX_WASM_STACK + (24 << 20);

/// Engine settings shared by every run. Changing any of them changes the cache key.
pub fn config(fuel: bool) -> Config {
    let mut config = Config::new();
    config
        .consume_fuel(fuel)
        .epoch_interruption(true)
        .wasm_exceptions(true)
        .wasm_threads(false)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(MAX_WASM_STACK + (2 << 20))
        .cranelift_nan_canonicalization(true)
        .parallel_compilation(true);
    config
}

/// Why a module could not be made ready to run.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub verdict: Verdict,
    pub message: String,
}

/// A wasmtime error on one line, for a verdict's message.
pub fn one_line(e: &wasmtime::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}
