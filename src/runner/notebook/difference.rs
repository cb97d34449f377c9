//! What kind of difference a cell's saved outputs show against the rerun's (the kinds of
//! `base::difference`, over a cell's streams, results, errors and figures), and its likely
//! cause where the run shows one: random numbers drawn with no seed, cells run out of order,
//! another library version's warnings. No cause rather than a guess.

use serde::Deserialize;

use super::compare::{comparable, decode_png, same_output};
use super::format::{Output, Text, mime_text};
use crate::base::difference::{
    Cause, Difference, DifferenceKind, classify_text, is_version_warning, split_warnings,
    warnings_only,
};
use crate::record::{CellRecord, NotebookRecord, SavedOutput};

/// What the driver saw of a cell's random numbers: calls that draw them with no seed (`RandomForestClassifier (line 3)`), and whether the cell sets a seed.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RandomUse {
    #[serde(default)]
    pub unseeded: Vec<String>,
    #[serde(default)]
    pub seeds: bool,
}

/// How a cell's rerun outputs differ from the saved ones; `None` when nothing was saved or
/// they are the same.
pub fn classify_outputs(saved: &[Output], rerun: &[Output]) -> Option<Difference> {
    if saved.is_empty() || super::compare_outputs(saved, rerun) == SavedOutput::Same {
        return None;
    }
    let (saved_kept, saved_warnings) = without_warnings(&comparable(saved));
    let (rerun_kept, rerun_warnings) = without_warnings(&comparable(rerun));
    let warnings_differ = saved_warnings.join("\n") != rerun_warnings.join("\n");
    let kept_same = saved_kept.len() == rerun_kept.len()
        && saved_kept
            .iter()
            .zip(&rerun_kept)
            .all(|(x, y)| same_output(x, y));
    let mut difference = if kept_same {
        warnings_only(&saved_warnings, &rerun_warnings)
    } else if saved_kept.len() != rerun_kept.len() {
        Difference {
            kind: DifferenceKind::Content,
            summary: count_summary(&saved_kept, &rerun_kept),
            cause: None,
            numbers: None,
            only_figures: false,
        }
    } else {
        // Figures differ with fonts and library versions as much as with data: the text
        // beside them says more, so a text difference is the one shown, figures noted.
        let pairs: Vec<(bool, Difference)> = saved_kept
            .iter()
            .zip(&rerun_kept)
            .filter_map(|(x, y)| classify_pair(x, y).map(|d| (is_figure(x) && is_figure(y), d)))
            .collect();
        let text = pairs
            .iter()
            .filter(|(figure, _)| !figure)
            .map(|(_, d)| d)
            .max_by_key(|d| d.kind);
        let figures = pairs.iter().filter(|(figure, _)| *figure).count();
        match (text, pairs.iter().find(|(figure, _)| *figure)) {
            (Some(text), _) => {
                let mut d = text.clone();
                if figures > 0 {
                    d.summary.push_str(&format!(
                        "; {figures} figure{} differ{} too",
                        if figures == 1 { "" } else { "s" },
                        if figures == 1 { "s" } else { "" }
                    ));
                }
                d
            }
            (None, Some((_, figure))) => Difference {
                only_figures: true,
                ..figure.clone()
            },
            (None, None) => warnings_only(&saved_warnings, &rerun_warnings),
        }
    };
    if warnings_differ && difference.kind != DifferenceKind::Warnings {
        difference.summary.push_str("; warning lines differ too");
    }
    if saved_warnings
        .iter()
        .chain(&rerun_warnings)
        .any(|l| is_version_warning(l))
        && warnings_differ
    {
        difference.cause = Some(Cause::LibraryVersion);
    }
    Some(difference)
}

/// Outputs with warning lines taken out of their streams (streams left empty dropped), and
/// those lines.
fn without_warnings(outputs: &[Output]) -> (Vec<Output>, Vec<String>) {
    let mut kept = Vec::new();
    let mut warnings = Vec::new();
    for output in outputs {
        match output {
            Output::Stream { name, text } => {
                let (rest, lines) = split_warnings(&text.0);
                warnings.extend(lines);
                if !rest.trim().is_empty() {
                    kept.push(Output::Stream {
                        name: name.clone(),
                        text: Text(rest),
                    });
                }
            }
            other => kept.push(other.clone()),
        }
    }
    (kept, warnings)
}

/// Two outputs in the same place; `None` when they are the same.
fn classify_pair(saved: &Output, rerun: &Output) -> Option<Difference> {
    if same_output(saved, rerun) {
        return None;
    }
    let content = |summary: String| {
        Some(Difference {
            kind: DifferenceKind::Content,
            summary,
            cause: None,
            numbers: None,
            only_figures: false,
        })
    };
    match (saved, rerun) {
        (Output::Stream { text: x, .. }, Output::Stream { text: y, .. }) => {
            classify_text(&x.0, &y.0)
        }
        (
            Output::Error {
                ename: a,
                evalue: x,
                ..
            },
            Output::Error {
                ename: b,
                evalue: y,
                ..
            },
        ) if a == b => classify_text(x, y),
        (Output::Error { ename: a, .. }, Output::Error { ename: b, .. }) => {
            content(format!("the saved output raised {a}, the rerun {b}"))
        }
        _ => match (saved.data(), rerun.data()) {
            (Some(x), Some(y)) => {
                if let (Some(p), Some(q)) = (x.get("image/png"), y.get("image/png")) {
                    return content(figure_summary(p, q));
                }
                let plain = |b: &super::format::Bundle| b.get("text/plain").and_then(mime_text);
                match (plain(x), plain(y)) {
                    (Some(s), Some(t)) => classify_text(&s, &t).or_else(|| {
                        Some(Difference {
                            kind: DifferenceKind::Display,
                            summary: "the same plain text; its rich rendering (HTML) differs"
                                .into(),
                            cause: None,
                            numbers: None,
                            only_figures: false,
                        })
                    }),
                    _ => content("a rich output differs and has no plain text to compare".into()),
                }
            }
            _ => content(format!(
                "the saved output is {}, the rerun's {}",
                describe(saved),
                describe(rerun)
            )),
        },
    }
}

fn is_figure(output: &Output) -> bool {
    output.data().is_some_and(|d| d.contains_key("image/png"))
}

fn figure_summary(saved: &serde_json::Value, rerun: &serde_json::Value) -> String {
    let size = |v: &serde_json::Value| {
        mime_text(v)
            .and_then(|s| decode_png(&s))
            .map(|(w, h, _)| (w, h))
    };
    match (size(saved), size(rerun)) {
        (Some(a), Some(b)) if a == b => format!("the figure's pixels differ ({}×{})", a.0, a.1),
        (Some(a), Some(b)) => format!(
            "the figure differs: {}×{} → {}×{} pixels",
            a.0, a.1, b.0, b.1
        ),
        _ => "the figure differs".into(),
    }
}

fn describe(output: &Output) -> String {
    match output {
        Output::Stream { name, .. } => format!("text on {name}"),
        Output::Error { ename, evalue, .. } => {
            format!(
                "an error ({ename}: {})",
                evalue.lines().next().unwrap_or("")
            )
        }
        other => other.output_type().replace('_', " "),
    }
}

fn count_summary(saved: &[Output], rerun: &[Output]) -> String {
    let error = rerun.iter().find_map(|o| match o {
        Output::Error { ename, evalue, .. }
            if !saved.iter().any(|s| matches!(s, Output::Error { .. })) =>
        {
            Some(format!("{ename}: {}", evalue.lines().next().unwrap_or("")))
        }
        _ => None,
    });
    match error {
        Some(error) => format!("the rerun raised {error}, where the saved output shows no error"),
        None => format!(
            "{} output{} saved, {} in the rerun",
            saved.len(),
            if saved.len() == 1 { "" } else { "s" },
            rerun.len()
        ),
    }
}

/// Sets the likely cause of each differing cell of a notebook, from the driver's view of
/// random numbers (`random[i]` for the i-th code cell) and the saved execution counts.
pub(crate) fn assign_causes(
    cells: &mut [CellRecord],
    random: &[Option<RandomUse>],
    saved_counts: &[Option<u64>],
) {
    let mut seeded = false;
    let mut unseeded: Vec<(usize, String)> = Vec::new();
    for (position, cell) in cells.iter_mut().enumerate() {
        if let Some(Some(used)) = random.get(position) {
            // A seed anywhere in the cell counts as set before its draws: fewer causes claimed.
            seeded |= used.seeds;
            if !seeded {
                unseeded.extend(used.unseeded.iter().map(|u| (cell.index, u.clone())));
            }
        }
        let Some(difference) = cell.difference.as_mut() else {
            continue;
        };
        if !matches!(
            difference.kind,
            DifferenceKind::Numbers | DifferenceKind::Content
        ) {
            continue;
        }
        // Random draws explain other numbers; other rows or words need more than a guess.
        let numbers = difference.kind == DifferenceKind::Numbers;
        if let Some((index, call)) = unseeded.first().filter(|_| numbers) {
            difference.cause = Some(Cause::UnseededRandomness);
            difference.summary.push_str(&format!(
                "; random numbers drawn with no seed: {call} in cell {index}"
            ));
        } else if !difference.only_figures && ran_out_of_order(saved_counts, position) {
            difference.cause = Some(Cause::OutOfOrder);
            difference
                .summary
                .push_str("; the saved execution counts show this cell ran in another order");
        }
    }
}

/// Whether the saved count of the code cell at `position` shows it ran before a cell above
/// it or after a cell below it.
fn ran_out_of_order(counts: &[Option<u64>], position: usize) -> bool {
    let Some(Some(count)) = counts.get(position) else {
        return false;
    };
    counts[..position].iter().flatten().any(|c| c >= count)
        || counts[position + 1..].iter().flatten().any(|c| c <= count)
}

/// One line for a notebook's saved outputs against the rerun: `14 same, 9 display, 3
/// warnings, 2 numbers (unseeded randomness), 1 content`.
pub fn reproducibility_line(record: &NotebookRecord) -> String {
    let same = record
        .cells
        .iter()
        .filter(|c| c.saved_output == SavedOutput::Same)
        .count();
    let mut parts = vec![format!("{same} same")];
    for kind in [
        DifferenceKind::Display,
        DifferenceKind::Warnings,
        DifferenceKind::Numbers,
        DifferenceKind::Content,
    ] {
        let of_kind: Vec<&Difference> = record
            .cells
            .iter()
            .filter_map(|c| c.difference.as_ref())
            .filter(|d| d.kind == kind)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let mut causes: Vec<&str> = of_kind
            .iter()
            .filter_map(|d| d.cause.map(Cause::words))
            .collect();
        causes.sort();
        causes.dedup();
        let causes = if causes.is_empty() {
            String::new()
        } else {
            format!(" ({})", causes.join(", "))
        };
        parts.push(format!("{} {}{causes}", of_kind.len(), kind.as_str()));
    }
    let none = record
        .cells
        .iter()
        .filter(|c| c.saved_output == SavedOutput::None)
        .count();
    if none > 0 {
        parts.push(format!("{none} with nothing saved"));
    }
    parts.join(", ")
}
