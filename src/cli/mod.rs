//! The command line: parses arguments and calls the stages. Owns no logic of its own.

mod backup;
mod bench;
mod cohort;
mod demo;
mod evaluate;
mod packet;
mod rerun;
mod review;
mod run;
mod runner;
mod serve;
mod signal;
mod worker;
mod workspace;

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
    #[command(flatten)]
    workspace: WorkspaceOptions,
    #[command(subcommand)]
    command: Command,
}

/// Where the workspace is, for commands that use one.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkspaceOptions {
    /// The workspace folder [default: the nearest folder at or above the current one holding
    /// takehome.toml].
    #[arg(long, global = true, env = "TAKEHOME_WORKSPACE", value_name = "DIR")]
    workspace: Option<std::path::PathBuf>,
    /// The database URL, overriding takehome.toml (sqlite://... or postgres://...).
    #[arg(long, global = true, env = "TAKEHOME_DATABASE_URL", value_name = "URL")]
    db: Option<String>,
}

impl WorkspaceOptions {
    pub async fn open(&self) -> anyhow::Result<crate::store::Workspace> {
        let here = std::env::current_dir()?;
        match crate::store::Workspace::locate(self.workspace.as_deref(), &here) {
            Ok(root) => crate::store::Workspace::open(&root, self.db.as_deref()).await,
            // A worker elsewhere needs only the database.
            Err(_)
                if self.workspace.is_none()
                    && self
                        .db
                        .as_deref()
                        .is_some_and(|url| url.starts_with("postgres")) =>
            {
                crate::store::Workspace::open_database(self.db.as_deref().unwrap_or_default()).await
            }
            Err(e) => Err(usage(e.to_string())),
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    Demo(demo::DemoArgs),
    Run(run::RunArgs),
    Runner(runner::RunnerArgs),
    Bench(bench::BenchArgs),
    Init(workspace::InitArgs),
    Assignment(workspace::AssignmentArgs),
    Issue(workspace::IssueArgs),
    Candidates(workspace::CandidatesArgs),
    Submit(workspace::SubmitArgs),
    Evaluate(evaluate::EvaluateArgs),
    Rerun(rerun::RerunArgs),
    Packet(packet::PacketArgs),
    Worker(worker::WorkerArgs),
    Status(worker::StatusArgs),
    Serve(serve::ServeArgs),
    Reviewer(review::ReviewerArgs),
    Assign(review::AssignArgs),
    Export(review::ExportArgs),
    Lead(cohort::LeadArgs),
    Cohort(cohort::CohortArgs),
    Backup(backup::BackupArgs),
    Verify(backup::VerifyArgs),
    Restore(backup::RestoreArgs),
    /// Reads a PDF on stdin for the harness, under limits (internal).
    #[command(name = "pdf-worker", hide = true)]
    PdfWorker(PdfWorkerArgs),
    /// Compiles an untrusted module for the harness, under limits (internal).
    #[command(name = "compile-worker", hide = true)]
    CompileWorker(CompileWorkerArgs),
    /// Runs an ONNX model for the harness, under limits (internal).
    #[command(name = "onnx-worker", hide = true)]
    OnnxWorker,
    /// Reads a workbook on stdin for a packet's data preview, under limits (internal).
    #[command(name = "sheet-worker", hide = true)]
    SheetWorker,
}

#[derive(clap::Args, Debug)]
struct CompileWorkerArgs {
    /// The folder holding module.wasm; module.cwasm is written beside it.
    folder: std::path::PathBuf,
    /// The engine settings to compile for (`standard`, or a variant the bench measures).
    #[arg(long, default_value = "standard")]
    variant: crate::sandbox::EngineVariant,
}

#[derive(clap::Args, Debug)]
struct PdfWorkerArgs {
    /// Render the pages too, with the texts to cover (the cover's length and JSON precede
    /// the PDF on stdin).
    #[arg(long)]
    images: bool,
}

/// An error the user can fix; printed without a backtrace, exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// `takehome ... | head` ends quietly when the reader goes away, as Unix tools do, instead of
/// panicking in `println!`. Sockets are unaffected: std and tokio send with MSG_NOSIGNAL, so
/// a client hanging up never stops `serve`.
fn end_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn block_on<F: std::future::Future<Output = anyhow::Result<ExitCode>>>(
    future: F,
) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}

/// Runs a synchronous command on a thread deep enough for the guests it runs.
fn deep(work: impl FnOnce() -> anyhow::Result<ExitCode> + Send) -> anyhow::Result<ExitCode> {
    crate::sandbox::on_deep_thread(work).map_err(anyhow::Error::msg)?
}

pub fn main() -> ExitCode {
    end_quietly_on_closed_stdout();
    let cli = Cli::parse();
    // Warnings and server errors go to stderr; RUST_LOG=takehome=debug shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Demo(args) => block_on(demo::execute(args, &cli.workspace)),
        // On a thread deep enough for a guest, which then runs on it without a hand-over.
        Command::Run(args) => deep(|| run::execute(args)),
        Command::Runner(args) => runner::execute(args),
        Command::Bench(args) => deep(|| bench::execute(args)),
        Command::Init(args) => block_on(workspace::init(args)),
        Command::Assignment(args) => block_on(workspace::assignment(args, &cli.workspace)),
        Command::Issue(args) => block_on(workspace::issue(args, &cli.workspace)),
        Command::Candidates(args) => block_on(workspace::candidates(args, &cli.workspace)),
        Command::Submit(args) => block_on(workspace::submit(args, &cli.workspace)),
        Command::Evaluate(args) => block_on(evaluate::execute(args, &cli.workspace)),
        Command::Rerun(args) => block_on(rerun::execute(args, &cli.workspace)),
        Command::Packet(args) => block_on(packet::execute(args, &cli.workspace)),
        Command::Worker(args) => signal::block_on_service(worker::worker(args, &cli.workspace)),
        Command::Status(args) => block_on(worker::status(args, &cli.workspace)),
        Command::Serve(args) => signal::block_on_service(serve::serve(args, &cli.workspace)),
        Command::Reviewer(args) => block_on(review::reviewer(args, &cli.workspace)),
        Command::Assign(args) => block_on(review::assign(args, &cli.workspace)),
        Command::Export(args) => block_on(review::export(args, &cli.workspace)),
        Command::Lead(args) => block_on(cohort::lead(args, &cli.workspace)),
        Command::Cohort(args) => block_on(cohort::cohort(args, &cli.workspace)),
        Command::Backup(args) => block_on(backup::backup(args, &cli.workspace)),
        Command::Verify(args) => block_on(backup::verify(args, &cli.workspace)),
        Command::Restore(args) => block_on(backup::restore(args)),
        Command::PdfWorker(args) => return crate::report::pdf::worker_main(args.images),
        Command::CompileWorker(args) => {
            return crate::sandbox::compile_worker_main(&args.folder, args.variant);
        }
        Command::OnnxWorker => return crate::evaluate::onnx::worker_main(),
        Command::SheetWorker => return crate::packet::data_view::sheet_worker_main(),
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
