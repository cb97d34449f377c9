//! Collecting a run's diagnostics: counted, deduplicated by kind and detail, bounded.
//!
//! Two sources feed it: the host, which sees the guest's file calls (refused writes,
//! translated paths), and the guest itself, whose Python prelude reports what only the
//! interpreter knows (missing modules, network attempts, files it could not open) as JSON
//! lines in a file the runner hands over after the run (see [`Diagnostics::add_reported`]).
//! What the guest reports is informative, not proof: a hostile program could write the file.

use std::collections::HashMap;

use serde::Deserialize;

use crate::record::{Diagnostic, DiagnosticKind};

/// Distinct diagnostics kept; past this, further ones are only counted in the last entry.
pub const MAX_DISTINCT: usize = 200;
/// Longest detail or message kept, in characters.
pub const MAX_TEXT: usize = 300;
/// Largest report file read from the guest.
pub const MAX_REPORT_BYTES: u64 = 1 << 20;

#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    entries: Vec<Diagnostic>,
    index: HashMap<(DiagnosticKind, String), usize>,
    dropped: u64,
}

/// One line of a guest's report file.
#[derive(Deserialize)]
struct Reported {
    kind: DiagnosticKind,
    detail: String,
    message: String,
}

impl Diagnostics {
    /// Counts one occurrence of `kind` about `detail`; the first occurrence's message is kept.
    pub fn add(&mut self, kind: DiagnosticKind, detail: &str, message: impl FnOnce() -> String) {
        let detail = one_line(detail);
        if let Some(&at) = self.index.get(&(kind, detail.clone())) {
            self.entries[at].count += 1;
            return;
        }
        if self.entries.len() >= MAX_DISTINCT {
            self.dropped += 1;
            return;
        }
        self.index
            .insert((kind, detail.clone()), self.entries.len());
        self.entries.push(Diagnostic {
            kind,
            detail,
            count: 1,
            message: one_line(&message()),
        });
    }

    /// Adds the JSON lines a guest reported (`{"kind": ..., "detail": ..., "message": ...}`),
    /// skipping any line that is not one.
    pub fn add_reported(&mut self, text: &str) {
        for line in text.lines() {
            if let Ok(reported) = serde_json::from_str::<Reported>(line) {
                self.add(reported.kind, &reported.detail, || reported.message);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The diagnostics in order of first occurrence.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        let mut entries = self.entries;
        if self.dropped > 0
            && let Some(last) = entries.last_mut()
        {
            last.message = format!(
                "{} (and {} more diagnostics not kept)",
                last.message, self.dropped
            );
        }
        entries
    }
}

/// Merges `more` into a record's list, counting repeats of the same kind and detail.
pub fn merge(list: &mut Vec<Diagnostic>, more: Vec<Diagnostic>) {
    let mut all = Diagnostics::default();
    for diagnostic in list.drain(..).chain(more) {
        let count = diagnostic.count;
        all.add(diagnostic.kind, &diagnostic.detail, || diagnostic.message);
        if let Some(&at) = all
            .index
            .get(&(diagnostic.kind, one_line(&diagnostic.detail)))
        {
            all.entries[at].count += count.saturating_sub(1);
        }
    }
    *list = all.into_vec();
}

/// Text made safe for one line of a record: control characters replaced, length capped.
fn one_line(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT)
        .collect();
    if text.chars().count() > MAX_TEXT {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_counted_once_in_order_of_first_sight() {
        let mut d = Diagnostics::default();
        d.add(DiagnosticKind::MissingFile, "a.csv", || "no a.csv".into());
        d.add(DiagnosticKind::Network, "example.org:443", || "net".into());
        d.add(DiagnosticKind::MissingFile, "a.csv", || "other".into());
        let list = d.into_vec();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].count, 2);
        assert_eq!(list[0].message, "no a.csv");
        assert_eq!(list[0].line(), "no a.csv (2 times)");
        assert_eq!(list[1].kind, DiagnosticKind::Network);
    }

    #[test]
    fn reported_lines_that_are_not_diagnostics_are_skipped_and_text_is_one_line() {
        let mut d = Diagnostics::default();
        d.add_reported(
            "{\"kind\": \"missing_module\", \"detail\": \"torch\", \"message\": \"no\\ntorch\"}\n\
             garbage\n{\"kind\": \"launch_missiles\", \"detail\": \"x\", \"message\": \"y\"}\n",
        );
        let list = d.into_vec();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].message, "no torch");
    }

    #[test]
    fn a_flood_of_distinct_diagnostics_is_bounded() {
        let mut d = Diagnostics::default();
        for i in 0..10_000 {
            d.add(DiagnosticKind::MissingFile, &format!("f{i}"), || {
                "x".repeat(5000)
            });
        }
        let list = d.into_vec();
        assert_eq!(list.len(), MAX_DISTINCT);
        assert!(
            list.iter()
                .all(|e| e.message.chars().count() <= MAX_TEXT + 64)
        );
        assert!(list.last().unwrap().message.contains("9800 more"));
    }

    #[test]
    fn merging_adds_counts_of_the_same_diagnostic() {
        let one = |count| Diagnostic {
            kind: DiagnosticKind::Network,
            detail: "h:1".into(),
            count,
            message: "m".into(),
        };
        let mut list = vec![one(2)];
        merge(&mut list, vec![one(3)]);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].count, 5);
    }
}
