//! One of the program's output pipes, read on its own thread up to a cap.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use sha2::Digest;

use crate::sandbox::StreamRecord;

/// What a reader thread kept of its pipe.
pub struct Kept {
    bytes: Vec<u8>,
    total: u64,
}

/// Reads `pipe` to its end on a thread, keeping the first `cap` bytes. With `stop_past_cap`
/// the thread raises `overflow` and stops reading past the cap (the run is then killed);
/// otherwise it drains and drops the rest, so the writer never blocks.
pub fn spawn(
    mut pipe: impl Read + Send + 'static,
    cap: u64,
    stop_past_cap: bool,
    overflow: Arc<AtomicBool>,
) -> JoinHandle<Kept> {
    std::thread::spawn(move || {
        let mut kept = Kept {
            bytes: Vec::new(),
            total: 0,
        };
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            let n = match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            kept.total += n as u64;
            let room = cap.saturating_sub(kept.bytes.len() as u64) as usize;
            kept.bytes.extend_from_slice(&buffer[..n.min(room)]);
            if kept.total > cap {
                overflow.store(true, Ordering::SeqCst);
                if stop_past_cap {
                    break;
                }
            }
        }
        kept
    })
}

impl Kept {
    pub fn record(self, cap: u64) -> StreamRecord {
        StreamRecord {
            sha256: hex::encode(sha2::Sha256::digest(&self.bytes)),
            text: String::from_utf8_lossy(&self.bytes).into_owned(),
            bytes: self.total,
            truncated: self.total > cap,
        }
    }

    pub fn empty() -> Kept {
        Kept {
            bytes: Vec::new(),
            total: 0,
        }
    }
}
