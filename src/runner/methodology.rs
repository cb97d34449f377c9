//! The methodology tracer (issue #27): its Python source, loaded into every Python run
//! beside the support module, and the reading of what it wrote into the run record.
//!
//! The tracer (`methodology.py`, then `methodology_analysis.py` in the same namespace) is
//! never placed in `sys.modules` nor on `sys.path`: the support module holds its source, and
//! compiles and installs it when the program first imports scikit-learn, pandas or a library
//! built on them (an `__import__` watch that removes itself), as `_takehome._method`. It
//! patches what is already imported (the snapshot holds scikit-learn) and, through an import
//! hook, what is imported later; a program that never imports them pays nothing.

use std::path::Path;

use crate::base::open_regular;
use crate::record::Methodology;

/// The tracer's Python source, compiled in the guest under the harness's own file name
/// `<takehome>` when the program first imports scikit-learn or pandas.
pub const TRACER: &str = include_str!("methodology.py");

/// Its conclusions, compiled in the guest only when a program ends with calls recorded.
pub const ANALYSIS: &str = include_str!("methodology_analysis.py");

/// Where the tracer writes in the guest (under the run's `/tmp`).
pub const GUEST_METHODOLOGY: &str = "/tmp/.takehome/methodology.jsonl";

/// Set to `off` in the harness's environment to run without the tracer: for measuring its
/// cost side by side (`takehome bench`), never needed otherwise.
pub const SWITCH: &str = "TAKEHOME_METHODOLOGY";

/// Whether runs carry the tracer (they do unless [`SWITCH`] is `off`).
pub fn enabled() -> bool {
    std::env::var(SWITCH).map_or(true, |v| v != "off")
}

/// Largest tracer report read from the guest.
const MAX_REPORT_BYTES: u64 = 1 << 20;

/// What the tracer wrote in the run's `/tmp` (the host folder `tmp`), if anything.
pub fn read(tmp: &Path) -> Option<Methodology> {
    let file = open_regular(&tmp.join(GUEST_METHODOLOGY.trim_start_matches("/tmp/")))?;
    let mut text = String::new();
    let _ =
        std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_REPORT_BYTES), &mut text);
    Methodology::from_report(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracer_writes_where_the_runner_reads() {
        assert!(TRACER.contains(&format!("REPORT = \"{GUEST_METHODOLOGY}\"")));
    }
}
