//! How the long-running commands (`serve`, `worker`) learn they should stop: SIGTERM (what
//! `systemctl stop` and container runtimes send) or SIGINT (Ctrl-C).

use std::time::Duration;

/// How long `serve` and `worker` wait, once told to stop, for requests in flight to be
/// answered and running evaluations to finish before they hand the evaluations back to the
/// queue and exit. Under systemd's default `TimeoutStopSec` (90 s), with room to spare.
pub const DEFAULT_STOP_GRACE: &str = "60s";

/// Resolves on the first SIGTERM or SIGINT, naming it.
pub async fn stop_requested() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops cleanly");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Runs a long-running command's future on a runtime that, once the future is done, waits
/// at most a moment for evaluations still running on blocking threads (their jobs were
/// handed back to the queue): a stop must not wait for a run it gave up on.
pub fn block_on_service<F: std::future::Future<Output = anyhow::Result<std::process::ExitCode>>>(
    future: F,
) -> anyhow::Result<std::process::ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(future);
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}
