//! Warning and log lines in an output: what Python's `warnings` module and common loggers
//! print, told apart from the program's own output.

/// The text without its warning and log lines, and those lines.
pub fn split_warnings(text: &str) -> (String, Vec<String>) {
    let mut rest = Vec::new();
    let mut warnings = Vec::new();
    let mut in_warning = false;
    for line in text.lines() {
        // `warnings.showwarning` prints the offending source line indented under the warning.
        if in_warning && line.starts_with("  ") && !line.trim().is_empty() {
            warnings.push(line.to_string());
            in_warning = false;
            continue;
        }
        in_warning = is_warning_line(line);
        if in_warning {
            warnings.push(line.to_string());
        } else {
            rest.push(line);
        }
    }
    (rest.join("\n"), warnings)
}

/// Whether a line is a warning or a log record: `path:12: FutureWarning: ...`, `WARNING:root:...`,
/// `[LightGBM] [Warning] ...`.
pub fn is_warning_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    let log_prefixes = ["WARNING:", "INFO:", "DEBUG:", "Warning:", "warnings.warn("];
    if log_prefixes.iter().any(|p| trimmed.starts_with(p)) {
        return true;
    }
    if trimmed.starts_with('[')
        && ["[Warning]", "[Info]", "[WARNING]", "[INFO]", "[Debug]"]
            .iter()
            .any(|tag| trimmed.contains(tag))
    {
        return true;
    }
    warning_category(line).is_some()
}

/// The category of a `warnings` line (`FutureWarning` in `x.py:3: FutureWarning: ...`):
/// a word ending in `Warning`, right after `:LINE: `.
pub fn warning_category(line: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(at) = line[from..].find("Warning:") {
        let end = from + at + "Warning".len();
        let start = line[..end]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .map_or(0, |i| i + 1);
        let before = &line[..start];
        if let Some(head) = before.strip_suffix(": ") {
            let digits = head.trim_end_matches(|c: char| c.is_ascii_digit());
            if digits.len() < head.len() && digits.ends_with(':') {
                return Some(&line[start..end]);
            }
        }
        from = end;
    }
    None
}

/// Whether a warning line says a library's behaviour is changing or has changed.
pub fn is_version_warning(line: &str) -> bool {
    matches!(
        warning_category(line).map(|c| c.rsplit('.').next().unwrap_or(c)),
        Some("FutureWarning" | "DeprecationWarning" | "PendingDeprecationWarning")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_with_any_temporary_path_are_found_with_their_source_line() {
        let saved = "C:\\Users\\ana\\AppData\\Local\\Temp\\ipykernel_16036\\509899133.py:1: FutureWarning: use observed=False\n  df.groupby('a').mean()\nmean 3\n";
        let (rest, warnings) = split_warnings(saved);
        assert_eq!(rest, "mean 3");
        assert_eq!(warnings.len(), 2);
        assert_eq!(warning_category(&warnings[0]), Some("FutureWarning"));
        assert!(is_version_warning(&warnings[0]));
    }

    #[test]
    fn log_lines_are_warnings_and_ordinary_lines_are_not() {
        assert!(is_warning_line("[LightGBM] [Warning] No further splits"));
        assert!(is_warning_line("WARNING:root:slow"));
        assert!(!is_warning_line("accuracy: 0.77"));
        assert!(!is_warning_line("a note: 12: UserWarning is a class"));
        assert_eq!(
            warning_category("/tmp/x.py:7: sklearn.exceptions.ConvergenceWarning: stop"),
            Some("sklearn.exceptions.ConvergenceWarning")
        );
    }
}
