//! Similarity across the submissions of one assignment, by fingerprints of normalised token
//! sequences (winnowing, as MOSS and Dolos do). A lead for a human to check, never a
//! verdict: shared code has innocent causes (the same tutorial, the same library example).
//! Pure functions over documents already read.
//!
//! Parts: [`fingerprint`] (k-grams and winnowing), [`fragments`] (shared runs of tokens
//! grown from shared fingerprints), [`view`] (the histogram and the side-by-side view).

mod fingerprint;
mod fragments;
#[cfg(test)]
mod tests;
mod view;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::tokens::{Token, code_text, is_code, python_tokens};
use fingerprint::{Fingerprint, fingerprints, kgram_hashes, starter_mask};
use fragments::{coverage, fragments};

pub use view::{FileView, Line, histogram, marked};

/// How fingerprints are taken and which are ignored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Tokens per k-gram: shorter shared runs are never seen (default 16, about two lines).
    pub k: usize,
    /// Winnowing window, in k-grams: a shared run of at least `k + window − 1` tokens is
    /// always found (default 8).
    pub window: usize,
    /// A fingerprint in at least this share of the submissions is common (boilerplate,
    /// the obvious way to call a library) and ignored (default 0.4).
    pub common_share: f64,
    /// ... but only when it is in at least this many submissions (default 4), so that in a
    /// small cohort two or three copies are never mistaken for boilerplate.
    pub common_min: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            k: 16,
            window: 8,
            common_share: 0.4,
            common_min: 4,
        }
    }
}

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A candidate's submission.
    Submission,
    /// A known public solution the lead supplied.
    Public,
}

/// One code file, as text and tokens.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    pub tokens: Vec<Token>,
}

impl SourceFile {
    /// A file read from `bytes`; `None` for a file that is not code (see [`is_code`]).
    pub fn read(path: &str, bytes: &[u8]) -> Option<SourceFile> {
        if !is_code(path) {
            return None;
        }
        let text = code_text(path, bytes)?;
        let tokens = python_tokens(&text);
        Some(SourceFile {
            path: path.to_string(),
            text,
            tokens,
        })
    }
}

/// A submission (or public solution): its code files.
#[derive(Clone, Debug)]
pub struct Document {
    /// A pseudonym, or `public:NAME`.
    pub label: String,
    pub origin: Origin,
    pub files: Vec<SourceFile>,
}

/// A run of tokens in one file: `[start, end)`, and the lines it covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub file: String,
    #[serde(skip)]
    pub file_index: usize,
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
    pub first_line: u32,
    pub last_line: u32,
}

/// A fragment shared by two documents: the same normalised tokens on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fragment {
    pub left: Span,
    pub right: Span,
    pub tokens: usize,
}

/// Two documents compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub left: String,
    pub right: String,
    /// The right document is a public solution.
    pub public: bool,
    /// Share of fingerprints in common: 2 × shared / (left's + right's), after the starter
    /// code's and common fingerprints are removed; 0 to 1.
    pub similarity: f64,
    pub shared_fingerprints: usize,
    /// The longest shared fragment, in tokens.
    pub longest_fragment: usize,
    /// Tokens of each side inside some shared fragment (the total overlap).
    pub overlap_left: usize,
    pub overlap_right: usize,
    /// Tokens of each side that are not starter code.
    pub tokens_left: usize,
    pub tokens_right: usize,
    /// Longest first.
    pub fragments: Vec<Fragment>,
}

/// The comparison of a cohort.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Similarity {
    pub settings: Settings,
    /// Submissions compared (public solutions not counted).
    pub submissions: usize,
    /// Fingerprints ignored because the starter code has them.
    pub starter_fingerprints: usize,
    /// Fingerprints ignored as common to many submissions.
    pub common_fingerprints: usize,
    /// Every pair, most similar first.
    pub pairs: Vec<Pair>,
}

/// Most occurrences of one hash per side used to seed fragments (repetitive code).
const SEEDS_PER_HASH: usize = 8;

/// Compares every pair of `documents` (public solutions only against submissions), with
/// `starter` the assignment's own code files.
pub fn compare(documents: &[Document], starter: &[SourceFile], settings: &Settings) -> Similarity {
    let starter_hashes: HashSet<u64> = starter
        .iter()
        .flat_map(|f| kgram_hashes(&f.tokens, settings.k))
        .collect();
    let prints: Vec<Vec<Fingerprint>> = documents
        .iter()
        .map(|d| fingerprints(d, settings))
        .collect();
    let submissions = documents
        .iter()
        .filter(|d| d.origin == Origin::Submission)
        .count();
    // In how many submissions each fingerprint occurs.
    let mut spread: HashMap<u64, usize> = HashMap::new();
    for (doc, fps) in documents.iter().zip(&prints) {
        if doc.origin == Origin::Submission {
            let distinct: HashSet<u64> = fps.iter().map(|f| f.hash).collect();
            for hash in distinct {
                *spread.entry(hash).or_default() += 1;
            }
        }
    }
    let common_at = settings
        .common_min
        .max((settings.common_share * submissions as f64).ceil() as usize);
    let common: HashSet<u64> = spread
        .iter()
        .filter(|&(_, &n)| n >= common_at)
        .map(|(&h, _)| h)
        .collect();
    let ignored = |h: &u64| starter_hashes.contains(h) || common.contains(h);
    let kept: Vec<HashSet<u64>> = prints
        .iter()
        .map(|fps| fps.iter().map(|f| f.hash).filter(|h| !ignored(h)).collect())
        .collect();
    let masks: Vec<Vec<Vec<bool>>> = documents
        .iter()
        .map(|d| starter_mask(d, &starter_hashes, settings.k))
        .collect();
    let own_tokens: Vec<usize> = masks
        .iter()
        .map(|m| m.iter().flatten().filter(|s| !**s).count())
        .collect();
    let seen_starter: HashSet<u64> = prints
        .iter()
        .flatten()
        .map(|f| f.hash)
        .filter(|h| starter_hashes.contains(h))
        .collect();

    let mut pairs = Vec::new();
    for i in 0..documents.len() {
        for j in i + 1..documents.len() {
            let (a, b) = (&documents[i], &documents[j]);
            if a.origin == Origin::Public && b.origin == Origin::Public {
                continue;
            }
            // A public solution always on the right.
            let (i, j) = if a.origin == Origin::Public {
                (j, i)
            } else {
                (i, j)
            };
            let shared: HashSet<u64> = kept[i].intersection(&kept[j]).copied().collect();
            let total = kept[i].len() + kept[j].len();
            let similarity = if total == 0 {
                0.0
            } else {
                2.0 * shared.len() as f64 / total as f64
            };
            let fragments = fragments(
                (&documents[i], &prints[i], &masks[i]),
                (&documents[j], &prints[j], &masks[j]),
                &shared,
            );
            let (overlap_left, overlap_right) = coverage(&fragments);
            pairs.push(Pair {
                left: documents[i].label.clone(),
                right: documents[j].label.clone(),
                public: documents[j].origin == Origin::Public,
                similarity,
                shared_fingerprints: shared.len(),
                longest_fragment: fragments.first().map_or(0, |f| f.tokens),
                overlap_left,
                overlap_right,
                tokens_left: own_tokens[i],
                tokens_right: own_tokens[j],
                fragments,
            });
        }
    }
    pairs.sort_by(|x, y| {
        y.similarity
            .total_cmp(&x.similarity)
            .then(y.longest_fragment.cmp(&x.longest_fragment))
            .then_with(|| (&x.left, &x.right).cmp(&(&y.left, &y.right)))
    });
    Similarity {
        settings: settings.clone(),
        submissions,
        starter_fingerprints: seen_starter.len(),
        common_fingerprints: common.len(),
        pairs,
    }
}
