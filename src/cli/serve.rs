//! `takehome serve`: the web application, over HTTP on the loopback or HTTPS anywhere, with
//! an optional built-in worker, stopping cleanly on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{WorkspaceOptions, usage};
use crate::base::limits::Bytes;
use crate::queue::{self, Outcome, StopSignal, Until, WorkerConfig};
use crate::sandbox::Sandbox;
use crate::server::Tls;
use crate::store::queue::JobRow;

/// Serve the web application: the candidate portal (brief, bundle, upload, smoke run) and
/// the reviewers' pages (queue, packet with rubric form, scores revealed after submitting,
/// line comments, overview, export). Access is by the secret links printed by `takehome
/// issue` and `takehome reviewer add`. Uploads are evaluated by a worker inside the server
/// unless --no-worker leaves them to `takehome worker` processes. SIGTERM or Ctrl-C stops
/// it cleanly (see --stop-grace).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Plain HTTP belongs on the loopback only (behind a reverse
    /// proxy that speaks HTTPS); anywhere else use --tls-cert and --tls-key.
    #[arg(
        long,
        env = "TAKEHOME_ADDR",
        default_value = "127.0.0.1:8080",
        value_name = "HOST:PORT"
    )]
    addr: SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(
        long,
        env = "TAKEHOME_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        env = "TAKEHOME_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    /// Largest upload accepted (e.g. 64MiB); a larger one is refused with 413.
    #[arg(long, default_value = "64MiB", value_name = "SIZE")]
    max_upload: Bytes,
    /// Evaluations the built-in worker runs at once.
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// Run no evaluations here; leave the queue to `takehome worker` processes.
    #[arg(long)]
    no_worker: bool,
    /// Install the Python runner if it is missing.
    #[arg(long)]
    install_runners: bool,
    /// Once told to stop (SIGTERM, Ctrl-C), how long requests in flight may take to be
    /// answered and the built-in worker's evaluations to finish; evaluations still running
    /// then go back to the queue, connections still open are closed.
    #[arg(long, env = "TAKEHOME_STOP_GRACE", default_value = super::signal::DEFAULT_STOP_GRACE, value_name = "DURATION", value_parser = humantime::parse_duration)]
    stop_grace: Duration,
}

pub async fn serve(args: ServeArgs, options: &WorkspaceOptions) -> anyhow::Result<ExitCode> {
    // Certificate problems are found before anything else starts.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls::load(cert, key).map_err(|e| usage(e.to_string()))?),
        _ => None,
    };
    let workspace = options.open().await?;
    let public_url = workspace.public_url();
    if tls.is_some() && !public_url.starts_with("https://") {
        return Err(usage(format!(
            "serving HTTPS, but the links `takehome issue` and `takehome reviewer add` print start with {public_url}: \
             set public_url = \"https://HOST[:PORT]\" in takehome.toml (or TAKEHOME_URL) to the address candidates and reviewers reach"
        )));
    }
    if tls.is_none() && !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: serving plain HTTP on {}: the secret links of candidates and reviewers, \
             and every upload, cross the network in clear text. Use --tls-cert and --tls-key, \
             or listen on 127.0.0.1 behind a reverse proxy that speaks HTTPS.",
            args.addr
        );
    }
    let (stop, signal) = StopSignal::new();
    let worker = if args.no_worker {
        None
    } else {
        let sandbox = Sandbox::new(Some(crate::base::cache_dir()))?;
        super::runner::ensure_python_off_runtime(&sandbox, args.install_runners).await?;
        let report: Arc<dyn Fn(&JobRow, &Outcome) + Send + Sync> = Arc::new(|job, outcome| {
            if let Outcome::Failed(reason) = outcome {
                tracing::warn!("{} {} failed: {reason}", job.id, job.submission_id);
            }
        });
        let mut config = WorkerConfig::new(args.jobs, Until::Forever);
        config.stop = signal;
        config.stop_grace = args.stop_grace;
        Some(tokio::spawn(queue::work(
            workspace.store.clone(),
            workspace.blobs.clone(),
            sandbox,
            config,
            report,
        )))
    };
    let app = crate::server::App::new(workspace, args.max_upload.0).await?;
    let listener = crate::server::listen(args.addr)
        .await
        .map_err(|e| usage(format!("{e:#}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("serving on {scheme}://{}", listener.local_addr()?);
    println!(
        "candidates use the links from `takehome issue`, reviewers those from `takehome reviewer add NAME`; SIGTERM or Ctrl-C stops the server"
    );
    let (told, told_rx) = tokio::sync::oneshot::channel::<&'static str>();
    // On SIGTERM the worker claims nothing more at once, while the server drains.
    let stopping = async move {
        let signal = super::signal::stop_requested().await;
        stop.stop();
        let _ = told.send(signal);
    };
    let served = crate::server::serve_until(
        app,
        listener,
        tls,
        async move {
            if let Ok(signal) = told_rx.await {
                eprintln!(
                    "{signal}: stopping; no new requests, those in flight get {}",
                    humantime::format_duration(args.stop_grace)
                );
            }
        },
        args.stop_grace,
    );
    tokio::pin!(served);
    tokio::spawn(stopping);
    let mut worker = worker;
    tokio::select! {
        result = &mut served => result?,
        Some(result) = async { match worker.as_mut() { Some(w) => Some(w.await), None => None } } => {
            // The built-in worker ended on its own: an error it could not wait out.
            result??;
            worker = None;
            served.await?;
        }
    }
    // The server has stopped answering; the worker finishes or hands back what it runs.
    if let Some(worker) = worker {
        worker.await??;
    }
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}
