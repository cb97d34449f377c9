//! Comparing two texts: a short unified diff and the tolerance under which two numbers are
//! the same, for every stage that compares a run with another.

/// Numbers closer than this count as equal when an output differs in bytes.
pub const NUMERIC_TOLERANCE: f64 = 1e-9;

/// A unified diff, at most 40 lines.
pub fn text_diff(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(1)
        .header("stored", "rerun")
        .to_string();
    let mut lines: Vec<&str> = text.lines().take(40).collect();
    if text.lines().count() > 40 {
        lines.push("...");
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_diffs_show_both_lines() {
        let diff = text_diff("seed 1\ntime 3\n", "seed 1\ntime 4\n");
        assert!(
            diff.contains("-time 3") && diff.contains("+time 4"),
            "{diff}"
        );
    }
}
