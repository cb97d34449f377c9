//! Values and helpers every stage shares: sizes, limits and durations, file references,
//! atomic writes, the clock and the cache folder, base64, text diffs and the kinds of difference
//! between two outputs. Depends on nothing else in the crate.

mod cache;
pub mod child;
mod clock;
pub mod closed;
pub mod diff;
pub mod difference;
mod encode;
mod files;
pub mod limits;
pub mod python_syntax;

pub use cache::cache_dir;
pub use clock::{format_time, now_ms};
pub use encode::base64;
pub use files::{
    FileRef, STALE_AFTER, open_regular, remove_stale, remove_stale_named, sha256_file,
    write_atomically,
};

pub use limits::{Bytes, Limits};
