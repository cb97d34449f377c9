//! `takehome worker` and `takehome status`: the work queue from the command line.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::base::{format_time, now_ms};
use crate::queue::{self, Outcome, Until, WorkerConfig};
use crate::sandbox::Sandbox;
use crate::store::queue::{JobRow, JobState};

/// Claim queued evaluations and run them, several at once, until stopped. Any number of
/// workers on any number of machines may share one PostgreSQL database (or one SQLite
/// workspace on one machine). A claimed run is held under a lease the worker renews; if the
/// worker dies, the lease runs out and another worker runs it again. SIGTERM or Ctrl-C
/// stops it cleanly: no new claims, running evaluations get --stop-grace to finish and are
/// then handed back to the queue.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Runs at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// How long a claim holds without renewal (renewed every third of it).
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    lease: Duration,
    /// Lost leases after which a run is marked failed instead of claimed again.
    #[arg(long, default_value_t = 3, value_name = "N")]
    max_attempts: i64,
    /// Exit once the queue is empty (nothing waiting, nothing running anywhere) instead of
    /// waiting for more.
    #[arg(long)]
    drain: bool,
    /// Name shown in `takehome status` [default: HOST:PID].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Install the Python runner if it is missing.
    #[arg(long)]
    install_runners: bool,
    /// Once told to stop (SIGTERM, Ctrl-C), how long running evaluations may still take
    /// to finish and be recorded; any still running then go back to the queue (waiting,
    /// the attempt not counted) for another worker. 0s hands them back at once.
    #[arg(long, env = "TAKEHOME_STOP_GRACE", default_value = super::signal::DEFAULT_STOP_GRACE, value_name = "DURATION", value_parser = humantime::parse_duration)]
    stop_grace: Duration,
    /// The runners this worker runs, comma-separated (`python,python-native`); it claims
    /// only jobs needing one of them [default: what this machine can run: wasi, python,
    /// python-plain, and python-native when runsc is installed].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    runners: Vec<String>,
    /// This worker has a GPU (a capability shown in `takehome status`; no job asks for one
    /// yet: GPU runs need a current gVisor with `--nvproxy`, see the README).
    #[arg(long)]
    gpu: bool,
}

pub async fn worker(args: WorkerArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    if args.lease < Duration::from_secs(1) {
        return Err(usage("--lease must be at least 1s"));
    }
    if args.max_attempts < 1 {
        return Err(usage("--max-attempts must be at least 1"));
    }
    let workspace = options.open().await?;
    let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
    super::runner::ensure_python_off_runtime(&sandbox, args.install_runners).await?;
    let slots = args.jobs.unwrap_or_else(queue::default_slots);
    let until = if args.drain {
        Until::Drained
    } else {
        Until::Forever
    };
    let mut config = WorkerConfig::new(slots, until);
    config.lease = args.lease;
    config.max_attempts = args.max_attempts;
    config.stop_grace = args.stop_grace;
    let (stop, signal) = queue::StopSignal::new();
    config.stop = signal;
    if !args.runners.is_empty() {
        config.runners = crate::queue::runners::parse(&args.runners).map_err(usage)?;
    }
    config.gpu = args.gpu;
    if let Some(name) = args.name {
        config.name = name;
    }
    let offered: Vec<&str> = config.runners.iter().map(|k| k.name()).collect();
    eprintln!(
        "worker {} running {} at once (lease {}; runners {}{}); SIGTERM or Ctrl-C stops it (running evaluations get {} to finish)",
        config.name,
        config.slots,
        humantime::format_duration(config.lease),
        offered.join(", "),
        if config.gpu { "; GPU" } else { "" },
        humantime::format_duration(config.stop_grace)
    );
    let report: Arc<dyn Fn(&JobRow, &Outcome) + Send + Sync> = Arc::new(|job, outcome| {
        let what = match outcome {
            Outcome::Recorded { run_id, evaluation } => {
                format!("recorded {run_id} ({})", evaluation.record.verdict.as_str())
            }
            Outcome::Failed(reason) => format!("failed: {reason}"),
            Outcome::LeaseLost => "lease lost; left to the worker that holds it".into(),
            Outcome::Released => "stopped before it finished; back in the queue".into(),
        };
        println!("{} {}: {what}", job.id, job.submission_id);
    });
    let grace = config.stop_grace;
    let work = queue::work(
        workspace.store.clone(),
        workspace.blobs.clone(),
        sandbox,
        config,
        report,
    );
    tokio::pin!(work);
    tokio::select! {
        result = &mut work => return result.map(|()| ExitCode::SUCCESS),
        signal = super::signal::stop_requested() => {
            eprintln!(
                "{signal}: stopping; claiming nothing more, running evaluations get {} to finish",
                humantime::format_duration(grace)
            );
            stop.stop();
        }
    }
    work.await?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Show the work queue: how many runs wait, which run where and since when, which are done
/// and which failed and why.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub async fn status(args: StatusArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    let workspace = options.open().await?;
    let jobs = workspace.store.jobs(None).await?;
    let count = |state: JobState| jobs.iter().filter(|j| j.state == state).count();
    if args.json {
        let mut value = serde_json::Map::new();
        for &state in JobState::ALL {
            value.insert(state.as_str().into(), count(state).into());
        }
        value.insert("jobs".into(), serde_json::to_value(&jobs)?);
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    let counts: Vec<String> = JobState::ALL
        .iter()
        .map(|&state| format!("{state} {}", count(state)))
        .collect();
    println!("{}", counts.join("  "));
    let now = now_ms();
    let running: Vec<&JobRow> = jobs
        .iter()
        .filter(|j| j.state == JobState::Running)
        .collect();
    if !running.is_empty() {
        println!("\nrunning:");
        println!(
            "  {:<24} {:<12} {:<28} {:<21} lease",
            "job", "submission", "worker", "since"
        );
        for job in running {
            let lease = job.lease_until.map_or("-".to_string(), |until| {
                if until >= now {
                    format!("{}s left", (until - now) / 1000)
                } else {
                    "expired: will be claimed again".to_string()
                }
            });
            println!(
                "  {:<24} {:<12} {:<28} {:<21} {lease}",
                job.id,
                job.submission_id,
                job.worker.as_deref().unwrap_or("-"),
                job.started_at.map(format_time).unwrap_or_default()
            );
        }
    }
    let failed: Vec<&JobRow> = jobs
        .iter()
        .filter(|j| j.state == JobState::Failed)
        .collect();
    if !failed.is_empty() {
        println!("\nfailed:");
        for job in failed {
            println!(
                "  {:<24} {:<12} after {} attempt(s): {}",
                job.id,
                job.submission_id,
                job.attempts,
                job.error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
