//! Capped in-memory capture of the guest's stdout and stderr.
//!
//! The guest controls how much it writes, so the host keeps at most `cap` bytes per stream.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

use crate::record::StreamRecord;

/// What happens when the guest writes past the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// Stop the guest: the run ends with `output_limit`.
    Stop,
    /// Drop the excess and go on; the record says `truncated`.
    Truncate,
}

#[derive(Debug)]
struct Inner {
    kept: Vec<u8>,
    written: u64,
    cap: usize,
    overflow: Overflow,
    stopped: bool,
}

/// A stream capture shared between the WASI context and the harness.
#[derive(Clone, Debug)]
pub struct Capture(Arc<Mutex<Inner>>);

/// The error a capture raises to stop the guest; found again by downcasting.
#[derive(Debug, thiserror::Error)]
#[error("stdout went past its cap of {cap} bytes")]
pub struct OutputCapReached {
    pub cap: usize,
}

impl Capture {
    pub fn new(cap: u64, overflow: Overflow) -> Self {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        Capture(Arc::new(Mutex::new(Inner {
            kept: Vec::new(),
            written: 0,
            cap,
            overflow,
            stopped: false,
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another writer panicked; the bytes are still valid.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(&self, bytes: &[u8]) -> Result<(), OutputCapReached> {
        let mut inner = self.lock();
        inner.written += bytes.len() as u64;
        let room = inner.cap.saturating_sub(inner.kept.len());
        let take = room.min(bytes.len());
        inner.kept.extend_from_slice(&bytes[..take]);
        if take < bytes.len() && inner.overflow == Overflow::Stop {
            inner.stopped = true;
            return Err(OutputCapReached { cap: inner.cap });
        }
        Ok(())
    }

    /// Whether the guest was stopped for writing past the cap.
    pub fn stopped(&self) -> bool {
        self.lock().stopped
    }

    pub fn record(&self) -> StreamRecord {
        let inner = self.lock();
        StreamRecord {
            text: String::from_utf8_lossy(&inner.kept).into_owned(),
            bytes: inner.written,
            sha256: hex::encode(Sha256::digest(&inner.kept)),
            truncated: inner.written > inner.kept.len() as u64,
        }
    }

    pub fn cap(&self) -> usize {
        self.lock().cap
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for Capture {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.append(&bytes)
            .map_err(|e| StreamError::Trap(wasmtime::Error::new(e)))
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Capture {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(
            self.append(buf)
                .map(|_| buf.len())
                .map_err(|e| std::io::Error::other(e.to_string())),
        )
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_mode_keeps_the_cap_and_reports_overflow() {
        let capture = Capture::new(4, Overflow::Stop);
        capture.append(b"ab").unwrap();
        assert!(capture.append(b"cdef").is_err());
        let record = capture.record();
        assert_eq!(record.text, "abcd");
        assert_eq!(record.bytes, 6);
        assert!(record.truncated);
        assert!(capture.stopped());
    }

    #[test]
    fn truncate_mode_goes_on_silently() {
        let capture = Capture::new(3, Overflow::Truncate);
        capture.append(b"hello").unwrap();
        capture.append(b"world").unwrap();
        let record = capture.record();
        assert_eq!(record.text, "hel");
        assert_eq!(record.bytes, 10);
        assert!(record.truncated && !capture.stopped());
    }
}
