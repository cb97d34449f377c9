//! Values and helpers every stage shares: sizes, limits and durations, file references,
//! atomic writes, the clock and the cache folder. Depends on nothing else in the crate.

mod cache;
pub mod child;
mod clock;
pub mod closed;
mod files;
pub mod limits;

pub use cache::cache_dir;
pub use clock::{format_time, now_ms};
pub use files::{FileRef, STALE_AFTER, remove_stale, remove_stale_named, write_atomically};
pub use limits::{Bytes, Limits};
