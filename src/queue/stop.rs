//! Telling a worker to stop: it claims nothing more, and gives each running job a grace
//! period to finish before handing it back to the queue.

use tokio::sync::watch;

/// Held by whoever decides when the worker stops.
#[derive(Debug)]
pub struct StopHandle(watch::Sender<bool>);

impl StopHandle {
    /// Asks every worker holding the matching [`StopSignal`] to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// Watched by the worker's slots.
#[derive(Clone, Debug)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// A connected handle and signal.
    pub fn new() -> (StopHandle, StopSignal) {
        let (sender, receiver) = watch::channel(false);
        (StopHandle(sender), StopSignal(receiver))
    }

    /// A signal that never fires (a worker that runs until its `Until` or the process ends).
    pub fn never() -> StopSignal {
        let (handle, signal) = StopSignal::new();
        // Dropping the handle closes the channel: `requested` then waits forever.
        drop(handle);
        signal
    }

    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop is asked for (never, for [`StopSignal::never`]).
    pub async fn requested(&self) {
        let mut receiver = self.0.clone();
        if receiver.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
