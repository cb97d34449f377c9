//! The command line: parses arguments and calls the stages. Owns no logic of its own.

mod bench;
mod run;
mod runner;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A grading harness for open-ended research take-home assignments.
///
/// takehome issues assignments, takes in submissions as hostile input, runs candidate code
/// in a WebAssembly sandbox under hard limits (deterministically, so reruns are
/// bit-identical), scores it against hidden data, checks the report's claims, and collates
/// blind review packets for reviewers.
#[derive(Parser, Debug)]
#[command(
    name = "takehome",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(run::RunArgs),
    Runner(runner::RunnerArgs),
    Bench(bench::BenchArgs),
}

/// An error the user can fix; printed without a backtrace, exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::execute(args),
        Command::Runner(args) => runner::execute(args),
        Command::Bench(args) => bench::execute(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
