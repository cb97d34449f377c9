//! The metrics as pure functions of aligned truth and prediction values.
//!
//! Every function expects equal, non-zero lengths (the scorer guarantees both).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::values::Label;

/// Fraction of rows where the labels are equal.
pub fn accuracy(y: &[Label], p: &[Label]) -> f64 {
    let hits = y.iter().zip(p).filter(|(y, p)| y == p).count();
    hits as f64 / y.len() as f64
}

/// Mean over the classes present in `y` of F1 = 2·tp / (2·tp + fp + fn), which equals
/// 2·precision·recall / (precision + recall) and is 0 when the class is never predicted right.
pub fn macro_f1(y: &[Label], p: &[Label]) -> f64 {
    // (tp, fp, fn) per class of the truth; predicted classes absent from the truth are ignored.
    let mut counts: BTreeMap<&Label, (u64, u64, u64)> = y.iter().map(|c| (c, (0, 0, 0))).collect();
    for (y, p) in y.iter().zip(p) {
        if y == p {
            counts.entry(y).or_default().0 += 1;
        } else {
            counts.entry(y).or_default().2 += 1;
            if let Some(c) = counts.get_mut(p) {
                c.1 += 1;
            }
        }
    }
    let total: f64 = counts
        .values()
        .map(|&(tp, fp, fnn)| {
            if tp == 0 {
                0.0
            } else {
                2.0 * tp as f64 / (2 * tp + fp + fnn) as f64
            }
        })
        .sum();
    total / counts.len() as f64
}

/// Probability that a random positive scores higher than a random negative, ties counting ½
/// (the Mann–Whitney statistic, from mid-ranks). `None` when `y` has a single class.
pub fn roc_auc(y: &[bool], p: &[f64]) -> Option<f64> {
    let positives = y.iter().filter(|&&y| y).count();
    let negatives = y.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut positive_ranks = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && p[order[end]] == p[order[start]] {
            end += 1;
        }
        // Ranks start+1..=end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        positive_ranks += rank * order[start..end].iter().filter(|&&i| y[i]).count() as f64;
        start = end;
    }
    let (pos, neg) = (positives as f64, negatives as f64);
    Some((positive_ranks - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Smallest probability used by [`log_loss`]; the largest is `1 - LOG_LOSS_EPS`.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// −(1/n) Σ [y·ln p + (1 − y)·ln(1 − p)], with p clipped to [1e-15, 1 − 1e-15].
pub fn log_loss(y: &[bool], p: &[f64]) -> f64 {
    let sum: f64 = y
        .iter()
        .zip(p)
        .map(|(&y, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    -sum / y.len() as f64
}

/// √((1/n) Σ (p − y)²).
pub fn rmse(y: &[f64], p: &[f64]) -> f64 {
    let sum: f64 = y.iter().zip(p).map(|(y, p)| (p - y) * (p - y)).sum();
    (sum / y.len() as f64).sqrt()
}

/// (1/n) Σ |p − y|.
pub fn mae(y: &[f64], p: &[f64]) -> f64 {
    let sum: f64 = y.iter().zip(p).map(|(y, p)| (p - y).abs()).sum();
    sum / y.len() as f64
}

/// Fraction of positives among the first `k` rows sorted by `p` descending, ties broken by
/// id ascending (byte-wise string order). Expects 1 ≤ `k` ≤ n.
pub fn precision_at_k(y: &[bool], p: &[f64], ids: &[&str], k: usize) -> f64 {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| match p[b].total_cmp(&p[a]) {
        Ordering::Equal => ids[a].cmp(ids[b]),
        other => other,
    });
    let hits = order[..k].iter().filter(|&&i| y[i]).count();
    hits as f64 / k as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_as_half() {
        // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
        assert_eq!(roc_auc(&[true, false, false], &[0.5, 0.5, 0.1]), Some(0.75));
        assert_eq!(roc_auc(&[true, true], &[0.5, 0.1]), None);
    }

    #[test]
    fn log_loss_clips_certain_mistakes() {
        let loss = log_loss(&[true], &[0.0]);
        assert!((loss - -(1e-15f64).ln()).abs() < 1e-9, "{loss}");
    }

    #[test]
    fn precision_at_k_breaks_ties_by_id() {
        let y = [false, true, true];
        let p = [0.9, 0.9, 0.1];
        assert_eq!(precision_at_k(&y, &p, &["b", "a", "c"], 1), 1.0);
        assert_eq!(precision_at_k(&y, &p, &["a", "b", "c"], 1), 0.0);
    }
}
