//! Shared fragments of two documents: runs of tokens grown from shared fingerprints, and how
//! much of each side they cover.

use std::collections::{HashMap, HashSet};

use super::fingerprint::Fingerprint;
use super::{Document, Fragment, SEEDS_PER_HASH, Span};

pub(super) type Side<'a> = (&'a Document, &'a [Fingerprint], &'a [Vec<bool>]);

/// The shared fragments of two documents: each pair of occurrences of a shared fingerprint
/// seeds a match, extended both ways while the tokens agree, within one file on each side
/// and never into starter code. Longest first; none contained in another.
pub(super) fn fragments(left: Side, right: Side, shared: &HashSet<u64>) -> Vec<Fragment> {
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
pub(super) fn coverage(fragments: &[Fragment]) -> (usize, usize) {
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
