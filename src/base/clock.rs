//! Wall-clock time as the store keeps it: milliseconds since the Unix epoch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// Formats milliseconds since the epoch as an RFC 3339 UTC time, to the second.
pub fn format_time(ms: i64) -> String {
    let when = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(when).to_string()
}
