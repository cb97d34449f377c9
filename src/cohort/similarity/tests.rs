use super::fingerprint::winnow;
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
