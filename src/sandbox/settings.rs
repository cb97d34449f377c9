//! What the parts of the sandbox must agree on: the engine's settings and stack sizes (the
//! compiling child uses the same), the virtual clocks' epoch (the working copy's file times),
//! and how a module that cannot be made ready is refused.

use wasmtime::{Config, OptLevel};

use crate::base::closed::closed_set;
use crate::record::Verdict;

/// The instant virtual clocks start at: 2024-01-01T00:00:00Z.
pub const VIRTUAL_EPOCH_SECS: u64 = 1_704_067_200;

/// Largest wasm call stack a guest may use. CPython needs a deep one.
pub const MAX_WASM_STACK: usize = 8 << 20;

/// Native stack of the thread that runs a guest: the wasm stack plus room for host calls.
pub const RUN_THREAD_STACK: usize = MAX_WASM_STACK + (24 << 20);

closed_set! {
    /// The engine's settings: the standard ones every run uses, and single departures from
    /// them, which `takehome bench sandbox` measures on compiled code (what each costs).
    pub enum EngineVariant("an engine variant") {
        Standard = "standard",
        /// No fuel metering: no exact limit on the work a guest does.
        NoFuel = "no-fuel",
        /// No epoch checks: no wall-clock limit inside a loop.
        NoEpoch = "no-epoch",
        /// Neither: the code as Cranelift makes it, with nothing checked.
        Unchecked = "no-fuel-no-epoch",
        /// Floating-point NaNs as the hardware makes them (not deterministic across hosts).
        NoNanCanonicalization = "no-nan-canonicalization",
        /// Cranelift's `speed_and_size` optimisation level instead of `speed`.
        SpeedAndSize = "speed-and-size",
        /// No reservation or guard pages: a bounds check on every memory access.
        ExplicitBoundsChecks = "explicit-bounds-checks",
    }
}

impl EngineVariant {
    /// Whether the engine meters fuel.
    pub fn fuel(self) -> bool {
        !matches!(self, EngineVariant::NoFuel | EngineVariant::Unchecked)
    }
}

/// Engine settings shared by every run. Changing any of them changes the cache key.
pub fn config(variant: EngineVariant) -> Config {
    let mut config = Config::new();
    config
        .consume_fuel(variant.fuel())
        .epoch_interruption(!matches!(
            variant,
            EngineVariant::NoEpoch | EngineVariant::Unchecked
        ))
        .wasm_exceptions(true)
        .wasm_threads(false)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(MAX_WASM_STACK + (2 << 20))
        .cranelift_nan_canonicalization(variant != EngineVariant::NoNanCanonicalization)
        .parallel_compilation(true);
    if variant == EngineVariant::SpeedAndSize {
        config.cranelift_opt_level(OptLevel::SpeedAndSize);
    }
    if variant == EngineVariant::ExplicitBoundsChecks {
        config.memory_reservation(0).memory_guard_size(0);
    }
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

#[cfg(test)]
mod tests {
    use std::hash::{Hash, Hasher};

    use super::*;

    #[test]
    fn every_engine_variant_has_a_compile_cache_of_its_own() {
        // A module compiled for a variant must never be loaded by the standard engine.
        let keys: std::collections::HashSet<u64> = EngineVariant::ALL
            .iter()
            .map(|variant| {
                let engine = wasmtime::Engine::new(&config(*variant)).expect("an engine");
                let mut hasher = std::hash::DefaultHasher::new();
                engine.precompile_compatibility_hash().hash(&mut hasher);
                hasher.finish()
            })
            .collect();
        assert_eq!(keys.len(), EngineVariant::ALL.len());
        assert!(EngineVariant::Standard.fuel() && !EngineVariant::Unchecked.fuel());
    }
}
