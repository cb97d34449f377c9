//! The interview sheet: one printable page per submission for the technical interview. Each
//! topic is something seen in the packet (a methodology finding, a claim the code did not
//! reproduce, a run or cell that failed, a reviewer's line comment, and for the lead a
//! similarity hit), anchored to the candidate's line where there is one, with a question
//! to ask. Leads, not verdicts: every question asks the candidate to explain.

use serde::Serialize;

use crate::base::closed::closed_set;
use crate::evaluate::claims::ClaimStatus;
use crate::packet::Packet;
use crate::record::Verdict;
use crate::store::reviews::LineCommentRow;

closed_set! {
    /// What a topic of the sheet comes from.
    pub enum TopicKind("a kind of interview topic") {
        Methodology = "methodology",
        Claim = "claim",
        Run = "run",
        Cell = "cell",
        Comment = "comment",
        Similarity = "similarity",
    }
}

/// One thing to ask about.
#[derive(Clone, Debug, Serialize)]
pub struct Topic {
    pub kind: TopicKind,
    /// A short heading: "Preprocessing fitted on evaluation rows (possible)".
    pub title: String,
    /// What takehome or a reviewer saw, in one or two sentences.
    pub seen: String,
    /// `main.py:14`, `analysis.ipynb cell 3 line 2`, or the report's place for a claim.
    pub location: Option<String>,
    /// The id of the line in the packet's listing, to link to it.
    pub anchor: Option<String>,
    /// The candidate's line itself.
    pub code: Option<String>,
    pub question: String,
}

/// A submission found similar to this one, as the lead's cohort view measured it.
#[derive(Clone, Debug)]
pub struct SimilarityHit {
    pub other: String,
    /// The other side is a public solution, not a candidate.
    pub public: bool,
    pub similarity: f64,
    pub longest_fragment: usize,
    /// Where the longest shared fragment lies in this candidate's code: file, first and
    /// last line.
    pub span: Option<(String, u32, u32)>,
}

/// The sheet of one submission version.
#[derive(Clone, Debug, Serialize)]
pub struct Sheet {
    pub pseudonym: String,
    pub submission_id: String,
    pub assignment: String,
    pub topics: Vec<Topic>,
}

/// The sheet from a packet, the line comments the viewer may see (with their authors'
/// names), and similarity hits (only ever passed for the lead).
pub fn sheet(
    packet: &Packet,
    comments: &[(LineCommentRow, String)],
    similar: &[SimilarityHit],
) -> Sheet {
    let mut topics = methodology(packet);
    topics.extend(claims(packet));
    topics.extend(failures(packet));
    topics.extend(
        comments
            .iter()
            .map(|(c, author)| comment(packet, c, author)),
    );
    topics.extend(similar.iter().map(|hit| similarity(packet, hit)));
    Sheet {
        pseudonym: packet.pseudonym.clone(),
        submission_id: packet.submission_id.clone(),
        assignment: format!("{} {}", packet.assignment.title, packet.assignment.version),
        topics,
    }
}

fn methodology(packet: &Packet) -> Vec<Topic> {
    let Some(section) = &packet.methodology else {
        return Vec::new();
    };
    section
        .findings
        .iter()
        .map(|f| {
            let possible = if f.severity == "possible" {
                " (possible)"
            } else {
                ""
            };
            let question = match f.kind.as_str() {
                "preprocessing" => format!(
                    "Walk me through where you split the data and where {} is fitted. Which \
                     rows should it see, and how would your reported score change if it saw \
                     only those?",
                    f.estimator
                ),
                "overlap" => "Some rows you evaluated on were also trained on. Where could \
                              they have entered both sets (duplicates, oversampling, \
                              augmentation), and what does that do to your score?"
                    .to_string(),
                "multi_test" => "How did you choose your final model? Which data did the \
                                 choice use, and which data would you use to report its score?"
                    .to_string(),
                "target" => "Where does this feature come from, and would you have it when \
                             making a prediction for a new case?"
                    .to_string(),
                _ => "Explain what this part of the code does with the data.".to_string(),
            };
            Topic {
                kind: TopicKind::Methodology,
                title: format!("{}{possible}", capitalised(&f.title)),
                seen: f.evidence.clone(),
                location: Some(f.location.clone()),
                anchor: f.anchor.clone(),
                code: f.code.clone(),
                question,
            }
        })
        .collect()
}

/// The submission's decisive claims the code gave another number for. The report's other
/// numbers (a table of every model tried) are not put to the candidate: they may be about
/// another model than the one measured.
fn claims(packet: &Packet) -> Vec<Topic> {
    let Some(run) = &packet.run else {
        return Vec::new();
    };
    let mut topics = Vec::new();
    for claim in &run.claims {
        let check = &claim.check;
        if check.status != ClaimStatus::NotReproduced {
            continue;
        }
        let measured = claim.measured_text.as_deref().unwrap_or("no value");
        let quote = check.quote.as_ref();
        topics.push(Topic {
            kind: TopicKind::Claim,
            title: format!("{} claim not reproduced", check.metric),
            seen: format!(
                "The report claims {} {}; takehome's run of the code measured {measured} on \
                 the held-out data.",
                check.metric, claim.claimed_text
            ),
            location: quote.map(|q| format!("{}: “{}”", q.location.file, q.text)),
            anchor: None,
            code: None,
            question: format!(
                "Which run produced the {} you report, on which data? What would you \
                 change to make it reproducible from the code you handed in?",
                claim.claimed_text
            ),
        });
    }
    topics
}

/// The run if it did not finish cleanly, and each notebook cell that failed in the rerun.
fn failures(packet: &Packet) -> Vec<Topic> {
    let mut topics = Vec::new();
    if let Some(run) = packet.run.as_ref().filter(|r| r.verdict != Verdict::Ok) {
        topics.push(Topic {
            kind: TopicKind::Run,
            title: format!("The run ended with {}", run.verdict.as_str()),
            seen: run.message.clone(),
            location: None,
            anchor: None,
            code: None,
            question: "How did you run this code, and in what environment? What did it need \
                       that the submission does not carry?"
                .to_string(),
        });
    }
    for (n, notebook) in packet.notebooks.iter().enumerate() {
        for cell in &notebook.cells {
            if cell.status.as_deref() != Some("error") {
                continue;
            }
            let error = cell
                .rerun_outputs
                .iter()
                .flatten()
                .find(|o| o.kind == "error")
                .and_then(|o| o.text.as_deref())
                .and_then(|t| t.lines().rev().find(|l| !l.trim().is_empty()))
                .unwrap_or("an error");
            topics.push(Topic {
                kind: TopicKind::Cell,
                title: format!("Cell {} failed in the rerun", cell.index),
                seen: format!(
                    "{} cell {} stopped with: {error}",
                    notebook.path, cell.index
                ),
                location: Some(format!("{} cell {}", notebook.path, cell.index)),
                anchor: Some(format!("notebook-{}-cell-{}-L1", n + 1, cell.index)),
                code: cell.lines.first().cloned(),
                question: "In what order, and with which files and packages, did you run \
                           this notebook? What does this cell depend on?"
                    .to_string(),
            });
        }
    }
    topics
}

/// The listed line `line` (from 1) of code file `path`, and its anchor.
fn code_line(packet: &Packet, path: &str, line: usize) -> (Option<String>, Option<String>) {
    packet
        .code
        .iter()
        .position(|f| f.path == path)
        .and_then(|i| {
            let text = packet.code[i].lines.get(line.checked_sub(1)?)?;
            Some((Some(format!("file-{}-L{line}", i + 1)), Some(text.clone())))
        })
        .unwrap_or((None, None))
}

fn comment(packet: &Packet, row: &LineCommentRow, author: &str) -> Topic {
    let (anchor, code) = code_line(packet, &row.path, row.line.max(0) as usize);
    Topic {
        kind: TopicKind::Comment,
        title: format!("{author}'s line comment"),
        seen: row.body.clone(),
        location: Some(format!("{}:{}", row.path, row.line)),
        anchor,
        code,
        question: "Ask the candidate to explain this line, in their own words.".to_string(),
    }
}

fn similarity(packet: &Packet, hit: &SimilarityHit) -> Topic {
    let other = if hit.public {
        format!("the public solution {}", hit.other)
    } else {
        hit.other.clone()
    };
    let (location, anchor, code) = match &hit.span {
        Some((file, first, last)) => {
            let (anchor, code) = code_line(packet, file, *first as usize);
            (Some(format!("{file}:{first}-{last}")), anchor, code)
        }
        None => (None, None, None),
    };
    Topic {
        kind: TopicKind::Similarity,
        title: format!("Similar to {other}"),
        seen: format!(
            "Similarity {:.2} with {other}; the longest shared fragment is {} tokens.",
            hit.similarity, hit.longest_fragment
        ),
        location,
        anchor,
        code,
        question: "Without the code in front of them: how did they come to write this part, \
                   and what does each step do? (For the lead only; never a verdict.)"
            .to_string(),
    }
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
