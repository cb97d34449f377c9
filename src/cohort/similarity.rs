//! Similarity across the submissions of one assignment, by fingerprints of normalised token
//! sequences (winnowing, as MOSS and Dolos do). A lead for a human to check, never a
//! verdict: shared code has innocent causes (the same tutorial, the same library example).
//! Pure functions over documents already read.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::tokens::{Token, code_text, is_code, python_tokens};

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

/// A k-gram chosen by winnowing: its hash and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    hash: u64,
    file: usize,
    at: usize,
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

/// The k-gram hashes of one token run (a file), one per start position.
fn kgram_hashes(tokens: &[Token], k: usize) -> Vec<u64> {
    if tokens.len() < k || k == 0 {
        return Vec::new();
    }
    tokens
        .windows(k)
        .map(|gram| {
            gram.iter().fold(0x9e37_79b9_7f4a_7c15_u64, |h, t| {
                (h.rotate_left(5) ^ t.kind).wrapping_mul(0x0100_0000_01b3)
            })
        })
        .collect()
}

/// Winnowing (Schleimer, Wilkerson and Aiken 2003): in every window of `window`
/// consecutive hashes keep the smallest (the rightmost on ties), each position once.
fn winnow(hashes: &[u64], window: usize) -> Vec<(u64, usize)> {
    let window = window.max(1).min(hashes.len().max(1));
    let mut chosen: Vec<(u64, usize)> = Vec::new();
    if hashes.is_empty() {
        return chosen;
    }
    for start in 0..=hashes.len() - window {
        let mut best = start;
        for i in start..start + window {
            if hashes[i] <= hashes[best] {
                best = i;
            }
        }
        if chosen.last().is_none_or(|&(_, at)| at != best) {
            chosen.push((hashes[best], best));
        }
    }
    chosen
}

fn fingerprints(doc: &Document, settings: &Settings) -> Vec<Fingerprint> {
    let mut all = Vec::new();
    for (file, source) in doc.files.iter().enumerate() {
        let hashes = kgram_hashes(&source.tokens, settings.k);
        for (hash, at) in winnow(&hashes, settings.window) {
            all.push(Fingerprint { hash, file, at });
        }
    }
    all
}

/// Per file, which tokens lie in a k-gram the starter code also has.
fn starter_mask(doc: &Document, starter: &HashSet<u64>, k: usize) -> Vec<Vec<bool>> {
    doc.files
        .iter()
        .map(|f| {
            let mut mask = vec![false; f.tokens.len()];
            for (at, hash) in kgram_hashes(&f.tokens, k).into_iter().enumerate() {
                if starter.contains(&hash) {
                    mask[at..at + k].iter_mut().for_each(|m| *m = true);
                }
            }
            mask
        })
        .collect()
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

type Side<'a> = (&'a Document, &'a [Fingerprint], &'a [Vec<bool>]);

/// The shared fragments of two documents: each pair of occurrences of a shared fingerprint
/// seeds a match, extended both ways while the tokens agree, within one file on each side
/// and never into starter code. Longest first; none contained in another.
fn fragments(left: Side, right: Side, shared: &HashSet<u64>) -> Vec<Fragment> {
    let occurrences = |prints: &[Fingerprint]| {
        let mut by_hash: HashMap<u64, Vec<(usize, usize)>> = HashMap::new();
        for f in prints.iter().filter(|f| shared.contains(&f.hash)) {
            let list = by_hash.entry(f.hash).or_default();
            if list.len() < SEEDS_PER_HASH {
                list.push((f.file, f.at));
            }
        }
        by_hash
    };
    let (in_left, in_right) = (occurrences(left.1), occurrences(right.1));
    // (left file, left start, left end, right file, right start)
    let mut found: Vec<(usize, usize, usize, usize, usize)> = Vec::new();
    let mut seeds: Vec<((usize, usize), (usize, usize))> = Vec::new();
    for (hash, lefts) in &in_left {
        if let Some(rights) = in_right.get(hash) {
            for &l in lefts {
                for &r in rights {
                    seeds.push((l, r));
                }
            }
        }
    }
    seeds.sort_unstable();
    for ((lf, la), (rf, ra)) in seeds {
        let already = found.iter().any(|&(f, s, e, g, t)| {
            f == lf && g == rf && s <= la && la < e && ra >= t && ra - t == la - s
        });
        if already {
            continue;
        }
        let (lt, rt) = (&left.0.files[lf].tokens, &right.0.files[rf].tokens);
        let (lm, rm) = (&left.2[lf], &right.2[rf]);
        let same = |x: usize, y: usize| lt[x].kind == rt[y].kind && !lm[x] && !rm[y];
        let (mut s, mut t) = (la, ra);
        while s > 0 && t > 0 && same(s - 1, t - 1) {
            s -= 1;
            t -= 1;
        }
        let mut len = 0;
        while la + len < lt.len() && ra + len < rt.len() && same(la + len, ra + len) {
            len += 1;
        }
        let end = la + len;
        if end > s {
            found.push((lf, s, end, rf, t));
        }
    }
    let mut fragments: Vec<Fragment> = found
        .into_iter()
        .map(|(lf, s, e, rf, t)| {
            let len = e - s;
            Fragment {
                left: span(left.0, lf, s, e),
                right: span(right.0, rf, t, t + len),
                tokens: len,
            }
        })
        .collect();
    fragments.sort_by(|x, y| {
        y.tokens
            .cmp(&x.tokens)
            .then((x.left.file_index, x.left.start).cmp(&(y.left.file_index, y.left.start)))
    });
    fragments
}

fn span(doc: &Document, file: usize, start: usize, end: usize) -> Span {
    let tokens = &doc.files[file].tokens;
    Span {
        file: doc.files[file].path.clone(),
        file_index: file,
        start,
        end,
        first_line: tokens[start].line,
        last_line: tokens[end - 1].line,
    }
}

/// Tokens covered by some fragment, on each side (overlapping fragments counted once).
fn coverage(fragments: &[Fragment]) -> (usize, usize) {
    let count = |spans: Vec<&Span>| {
        let mut covered: HashSet<(usize, usize)> = HashSet::new();
        for s in spans {
            covered.extend((s.start..s.end).map(|t| (s.file_index, t)));
        }
        covered.len()
    };
    (
        count(fragments.iter().map(|f| &f.left).collect()),
        count(fragments.iter().map(|f| &f.right).collect()),
    )
}

/// Pair similarities binned for a histogram: ten bins of 0.1 from 0 to 1, each
/// `(low, high, count)`.
pub fn histogram(pairs: &[Pair]) -> Vec<(f64, f64, usize)> {
    let mut counts = [0usize; 10];
    for p in pairs.iter().filter(|p| !p.public) {
        counts[((p.similarity * 10.0) as usize).min(9)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| (i as f64 / 10.0, (i + 1) as f64 / 10.0, n))
        .collect()
}

/// One line of a side-by-side view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub number: usize,
    pub text: String,
    /// The shared fragment (1-based, as listed) this line belongs to, if any.
    pub fragment: Option<usize>,
}

/// One file of a side-by-side view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileView {
    pub path: String,
    pub lines: Vec<Line>,
}

/// The files of `doc` with the lines of `pair`'s fragments marked: `left` says which side
/// of the pair `doc` is.
pub fn marked(doc: &Document, pair: &Pair, left: bool) -> Vec<FileView> {
    let mut marks: BTreeMap<(usize, u32), usize> = BTreeMap::new();
    for (n, fragment) in pair.fragments.iter().enumerate() {
        let span = if left {
            &fragment.left
        } else {
            &fragment.right
        };
        for line in span.first_line..=span.last_line {
            marks.entry((span.file_index, line)).or_insert(n + 1);
        }
    }
    doc.files
        .iter()
        .enumerate()
        .map(|(f, file)| FileView {
            path: file.path.clone(),
            lines: file
                .text
                .lines()
                .enumerate()
                .map(|(i, text)| Line {
                    number: i + 1,
                    text: text.to_string(),
                    fragment: marks.get(&(f, i as u32 + 1)).copied(),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTER: &str = r#"
import csv

def load_rows(path):
    """Reads the training data."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return [dict(row) for row in reader if row.get("customer_id")]
"#;

    const ORIGINAL: &str = r#"
def tenure_buckets(rows, edges):
    buckets = {}
    for row in rows:
        months = int(row["tenure"])
        label = "long"
        for edge in edges:
            if months < edge:
                label = "under %d" % edge
                break
        buckets.setdefault(label, []).append(row)
    return buckets

def churn_rate(group):
    churned = sum(1 for r in group if r["churned"] == "1")
    return churned / max(len(group), 1)

def report(buckets):
    lines = []
    for label, group in sorted(buckets.items()):
        lines.append("%s: %.3f over %d" % (label, churn_rate(group), len(group)))
    return "\n".join(lines)

if __name__ == "__main__":
    rows = load_rows("data/train.csv")
    print(report(tenure_buckets(rows, [6, 12, 24])))
"#;

    /// ORIGINAL with every name changed, the functions in another order, other comments.
    const DISGUISED: &str = r#"
# My own analysis of churn.
def rate_of_leaving(members):
    gone = sum(1 for m in members if m["churned"] == "yes")  # count leavers
    return gone / max(len(members), 1)

def summarise(groups):
    out = []
    for name, members in sorted(groups.items()):
        out.append("%s -> %.2f (n=%d)" % (name, rate_of_leaving(members), len(members)))
    return "\n".join(out)

def group_by_tenure(records, cutoffs):
    groups = {}
    for rec in records:
        m = int(rec["tenure"])
        name = "veteran"
        for cut in cutoffs:
            if m < cut:
                name = "below %d" % cut
                break
        groups.setdefault(name, []).append(rec)
    return groups

if __name__ == "__main__":
    records = load_rows("data/train.csv")
    print(summarise(group_by_tenure(records, [3, 9, 18])))
"#;

    /// A different approach to the same task.
    const UNRELATED: &str = r#"
import statistics

class Model:
    def __init__(self, weight=0.5):
        self.weight = weight
        self.means = None

    def fit(self, table):
        columns = list(zip(*table))
        self.means = [statistics.fmean(c) for c in columns]
        return self

    def score(self, record):
        if self.means is None:
            raise RuntimeError("fit first")
        total = 0.0
        for value, mean in zip(record, self.means):
            total += self.weight * (value - mean) ** 2
        return 1 / (1 + total)

while True:
    try:
        model = Model().fit([[1.0, 2.0], [3.0, 4.0]])
        print([model.score(r) for r in [[1.0, 1.0], [2.0, 5.0]]])
    finally:
        break
"#;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile::read(path, text.as_bytes()).unwrap()
    }

    fn doc(label: &str, files: &[(&str, &str)]) -> Document {
        Document {
            label: label.into(),
            origin: Origin::Submission,
            files: files.iter().map(|(p, t)| file(p, t)).collect(),
        }
    }

    fn cohort() -> Vec<Document> {
        vec![
            doc(
                "C-AAAA",
                &[("starter/load.py", STARTER), ("main.py", ORIGINAL)],
            ),
            doc(
                "C-BBBB",
                &[("starter/load.py", STARTER), ("main.py", UNRELATED)],
            ),
            doc(
                "C-CCCC",
                &[("starter/load.py", STARTER), ("analysis.py", DISGUISED)],
            ),
        ]
    }

    fn pair<'a>(s: &'a Similarity, a: &str, b: &str) -> &'a Pair {
        s.pairs
            .iter()
            .find(|p| (p.left == a && p.right == b) || (p.left == b && p.right == a))
            .unwrap()
    }

    #[test]
    fn near_copies_with_renamed_names_and_reordered_functions_rank_first() {
        let s = compare(
            &cohort(),
            &[file("starter/load.py", STARTER)],
            &Settings::default(),
        );
        let top = &s.pairs[0];
        assert_eq!(
            (top.left.as_str(), top.right.as_str()),
            ("C-AAAA", "C-CCCC")
        );
        assert!(top.similarity > 0.6, "{top:#?}");
        // Each of the three functions is found, in its new place.
        assert!(top.fragments.len() >= 3, "{:#?}", top.fragments);
        assert!(top.longest_fragment >= 50, "{top:#?}");
        assert!(top.overlap_left * 10 >= top.tokens_left * 7, "{top:#?}");
        let unrelated = pair(&s, "C-AAAA", "C-BBBB");
        assert!(unrelated.similarity < 0.1, "{unrelated:#?}");
        assert!(pair(&s, "C-BBBB", "C-CCCC").similarity < 0.1);
    }

    #[test]
    fn the_starter_code_is_not_counted() {
        let starter = [file("starter/load.py", STARTER)];
        let s = compare(&cohort(), &starter, &Settings::default());
        assert!(s.starter_fingerprints > 0);
        let unrelated = pair(&s, "C-AAAA", "C-BBBB");
        assert!(
            unrelated
                .fragments
                .iter()
                .all(|f| f.left.file != "starter/load.py"),
            "{unrelated:#?}"
        );
        // Without the starter excluded, the same pair shares the whole starter file.
        let blind = compare(&cohort(), &[], &Settings::default());
        let counted = pair(&blind, "C-AAAA", "C-BBBB");
        assert!(counted.similarity > unrelated.similarity, "{counted:#?}");
        assert!(counted.longest_fragment >= 30, "{counted:#?}");
    }

    #[test]
    fn fragments_in_many_submissions_are_discounted() {
        // Six otherwise unrelated submissions that all paste the same helper.
        let helper = ORIGINAL;
        let own = [
            UNRELATED,
            STARTER,
            "x = 1\n",
            "print('hello')\n",
            "def f():\n    return 2\n",
            "y = [i for i in range(3)]\n",
        ];
        let docs: Vec<Document> = own
            .iter()
            .enumerate()
            .map(|(i, text)| {
                doc(
                    &format!("C-{i}"),
                    &[("main.py", text), ("helper.py", helper)],
                )
            })
            .collect();
        let s = compare(&docs, &[], &Settings::default());
        assert!(s.common_fingerprints > 10, "{}", s.common_fingerprints);
        assert!(
            s.pairs.iter().all(|p| p.shared_fingerprints == 0),
            "{:#?}",
            s.pairs[0]
        );
    }

    #[test]
    fn a_public_solution_is_compared_with_submissions_only() {
        let mut docs = cohort();
        for name in ["one", "two"] {
            let mut d = doc(&format!("public:{name}"), &[("solution.py", ORIGINAL)]);
            d.origin = Origin::Public;
            docs.push(d);
        }
        let s = compare(
            &docs,
            &[file("starter/load.py", STARTER)],
            &Settings::default(),
        );
        assert_eq!(s.pairs.len(), 3 + 3 * 2);
        assert!(s.pairs.iter().all(|p| !p.left.starts_with("public:")));
        let copied = pair(&s, "C-AAAA", "public:one");
        assert!(copied.public && copied.similarity > 0.9, "{copied:#?}");
        assert_eq!(histogram(&s.pairs).iter().map(|b| b.2).sum::<usize>(), 3);
    }

    #[test]
    fn the_side_by_side_view_marks_the_shared_lines() {
        let docs = cohort();
        let s = compare(
            &docs,
            &[file("starter/load.py", STARTER)],
            &Settings::default(),
        );
        let top = &s.pairs[0];
        let left = marked(&docs[0], top, true);
        let main = left.iter().find(|f| f.path == "main.py").unwrap();
        let line = |text: &str| main.lines.iter().find(|l| l.text.contains(text)).unwrap();
        assert!(line("churned = sum(").fragment.is_some());
        assert!(line("buckets.setdefault").fragment.is_some());
        let starter = left.iter().find(|f| f.path == "starter/load.py").unwrap();
        assert!(starter.lines.iter().all(|l| l.fragment.is_none()));
    }

    #[test]
    fn winnowing_keeps_a_fingerprint_in_every_window() {
        let hashes: Vec<u64> = (0..40u64).map(|i| (i * 7919) % 23).collect();
        let chosen = winnow(&hashes, 4);
        for start in 0..=hashes.len() - 4 {
            assert!(
                chosen
                    .iter()
                    .any(|&(_, at)| (start..start + 4).contains(&at)),
                "window {start}"
            );
        }
        assert!(winnow(&[], 4).is_empty());
        assert_eq!(winnow(&[5, 3], 4), vec![(3, 1)]);
    }
}
