//! Fingerprints of a document: hashes of its k-grams of normalised tokens, winnowed (as MOSS
//! and Dolos do), and which of them are starter code.

use std::collections::HashSet;

use super::super::tokens::Token;
use super::{Document, Settings};

/// A k-gram chosen by winnowing: its hash and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fingerprint {
    pub(super) hash: u64,
    pub(super) file: usize,
    pub(super) at: usize,
}

/// The k-gram hashes of one token run (a file), one per start position.
pub(super) fn kgram_hashes(tokens: &[Token], k: usize) -> Vec<u64> {
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
pub(super) fn winnow(hashes: &[u64], window: usize) -> Vec<(u64, usize)> {
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

pub(super) fn fingerprints(doc: &Document, settings: &Settings) -> Vec<Fingerprint> {
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
pub(super) fn starter_mask(doc: &Document, starter: &HashSet<u64>, k: usize) -> Vec<Vec<bool>> {
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
