//! Agreement between reviewers: Krippendorff's alpha over reliability data with missing
//! values, for the nominal, ordinal, interval and ratio metrics, with a seeded bootstrap
//! interval. Pure functions; the definitions follow Krippendorff (2011), "Computing
//! Krippendorff's Alpha-Reliability".

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::Serialize;

/// Alpha below this is too low even for tentative conclusions (Krippendorff's customary
/// threshold); such criteria are flagged so their level descriptors can be rewritten.
pub const TENTATIVE: f64 = 0.667;

/// Bootstrap resamples behind each interval.
pub const RESAMPLES: usize = 1000;

/// The seed of every bootstrap: the same data always gives the same interval.
pub const SEED: u64 = 0x7a6b_1911;

/// How differences between two values are weighed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Any two different values differ equally (categories).
    Nominal,
    /// Values are ranks: the difference between two values grows with how many ratings
    /// lie between them (rubric levels).
    Ordinal,
    /// Squared difference of the values (equal steps).
    Interval,
    /// Squared difference relative to the sum (a true zero).
    Ratio,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::Nominal,
        Metric::Ordinal,
        Metric::Interval,
        Metric::Ratio,
    ];
}

/// The coincidence matrix of reliability data: how often each pair of values was given to
/// one unit by two different observers, each unit weighted by 1 / (its values − 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Coincidences {
    /// The distinct values, ascending.
    pub values: Vec<f64>,
    /// `o[c][k]`: coincidences of `values[c]` with `values[k]` (symmetric).
    pub o: Vec<Vec<f64>>,
    /// `n_c[c]`: the row sums, how often `values[c]` is pairable.
    pub n_c: Vec<f64>,
    /// All pairable values: those of units with two values or more.
    pub n: f64,
}

/// The coincidences of `units`: each unit (a candidate, on one criterion) lists the values
/// its observers gave (missing ratings simply absent). Units with fewer than two values
/// cannot be paired and add nothing. Non-finite values are ignored.
pub fn coincidences(units: &[Vec<f64>]) -> Coincidences {
    let mut values: Vec<f64> = units
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let index = |v: f64| {
        values
            .binary_search_by(|x| x.total_cmp(&v))
            .expect("every value is indexed")
    };
    let mut o = vec![vec![0.0; values.len()]; values.len()];
    for unit in units {
        let unit: Vec<usize> = unit
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .map(index)
            .collect();
        let m = unit.len();
        if m < 2 {
            continue;
        }
        let weight = 1.0 / (m - 1) as f64;
        for (i, &c) in unit.iter().enumerate() {
            for (j, &k) in unit.iter().enumerate() {
                if i != j {
                    o[c][k] += weight;
                }
            }
        }
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n = n_c.iter().sum();
    Coincidences { values, o, n_c, n }
}

impl Coincidences {
    /// δ²(c, k) of the metric between `values[c]` and `values[k]`.
    fn delta2(&self, metric: Metric, c: usize, k: usize) -> f64 {
        let (vc, vk) = (self.values[c], self.values[k]);
        match metric {
            Metric::Nominal => f64::from(u8::from(c != k)),
            Metric::Ordinal => {
                let (lo, hi) = (c.min(k), c.max(k));
                let between: f64 = self.n_c[lo..=hi].iter().sum();
                (between - (self.n_c[lo] + self.n_c[hi]) / 2.0).powi(2)
            }
            Metric::Interval => (vc - vk).powi(2),
            Metric::Ratio => {
                if vc + vk == 0.0 {
                    0.0
                } else {
                    ((vc - vk) / (vc + vk)).powi(2)
                }
            }
        }
    }

    /// α = 1 − D_o / D_e; `None` when it is undefined (fewer than two pairable values, or
    /// no variation at all, so that disagreement cannot be told from chance).
    pub fn alpha(&self, metric: Metric) -> Option<f64> {
        if self.n < 2.0 {
            return None;
        }
        let (mut observed, mut expected) = (0.0, 0.0);
        for c in 0..self.values.len() {
            for k in 0..self.values.len() {
                let d = self.delta2(metric, c, k);
                observed += self.o[c][k] * d;
                expected += self.n_c[c] * self.n_c[k] * d;
            }
        }
        if expected <= 0.0 {
            return None;
        }
        Some(1.0 - (self.n - 1.0) * observed / expected)
    }
}

/// Krippendorff's alpha of `units` under `metric` (see [`coincidences`]).
pub fn alpha(units: &[Vec<f64>], metric: Metric) -> Option<f64> {
    coincidences(units).alpha(metric)
}

/// Alpha with its evidence: how many values could be paired, and a 95% interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub metric: Metric,
    /// `None` when undefined (too few pairable ratings, or no variation).
    pub alpha: Option<f64>,
    /// Pairable ratings: those given to a unit that someone else rated too.
    pub pairable: usize,
    /// Units (candidates) with two ratings or more.
    pub units: usize,
    /// 2.5th and 97.5th percentiles of alpha over [`RESAMPLES`] bootstrap resamples of
    /// the units, seeded with [`SEED`]; `None` when alpha is undefined.
    pub interval: Option<(f64, f64)>,
    /// Alpha is below [`TENTATIVE`].
    pub low: bool,
}

/// Alpha of `units` under `metric` with a bootstrap interval: units (candidates) are drawn
/// with replacement, alpha recomputed each time, and the middle 95% kept. Deterministic.
pub fn estimate(units: &[Vec<f64>], metric: Metric) -> Estimate {
    let table = coincidences(units);
    let value = table.alpha(metric);
    let pairable: Vec<&Vec<f64>> = units
        .iter()
        .filter(|u| u.iter().filter(|v| v.is_finite()).count() >= 2)
        .collect();
    let interval = value.and_then(|_| {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let mut draws: Vec<f64> = (0..RESAMPLES)
            .filter_map(|_| {
                let sample: Vec<Vec<f64>> = (0..pairable.len())
                    .map(|_| pairable[rng.random_range(0..pairable.len())].clone())
                    .collect();
                alpha(&sample, metric)
            })
            .collect();
        if draws.is_empty() {
            return None;
        }
        draws.sort_by(f64::total_cmp);
        Some((percentile(&draws, 0.025), percentile(&draws, 0.975)))
    });
    Estimate {
        metric,
        alpha: value,
        pairable: table.n.round() as usize,
        units: pairable.len(),
        interval,
        low: value.is_some_and(|a| a < TENTATIVE),
    }
}

/// The `q` quantile of sorted, non-empty `draws` (nearest rank).
fn percentile(draws: &[f64], q: f64) -> f64 {
    let at = (q * (draws.len() - 1) as f64).round() as usize;
    draws[at.min(draws.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Krippendorff (2011), section C: four observers, twelve units, missing values.
    /// Rows are observers A to D, columns units 1 to 12; 0 marks a missing value.
    const PUBLISHED: [[u8; 12]; 4] = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
        [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
    ];

    fn published_units() -> Vec<Vec<f64>> {
        (0..12)
            .map(|u| {
                PUBLISHED
                    .iter()
                    .map(|row| row[u])
                    .filter(|&v| v != 0)
                    .map(f64::from)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_published_coincidence_matrix_is_reproduced_by_hand_counts() {
        let table = coincidences(&published_units());
        assert_eq!(table.values, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        // Unit 1 (three 1s) gives o11 3·2/2 = 3, unit 8 (1,1,2,1) 3·2/3 = 2, unit 11
        // (1,1) 2; unit 6 (1,2,3,4) gives each ordered pair 1/3, unit 8 adds 3/3 to o12.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(table.o[0][0], 7.0), "{:?}", table.o);
        assert!(close(table.o[0][1], 4.0 / 3.0));
        assert!(close(table.o[0][2], 1.0 / 3.0));
        assert!(close(table.o[1][1], 10.0));
        assert!(close(table.o[4][4], 3.0), "unit 10: three 5s");
        // The paper's margins: n1..n5 = 9, 13, 10, 5, 3; n = 40 pairable values.
        for (got, want) in table.n_c.iter().zip([9.0, 13.0, 10.0, 5.0, 3.0]) {
            assert!(close(*got, want), "{:?}", table.n_c);
        }
        assert!(close(table.n, 40.0));
    }

    #[test]
    fn the_published_example_gives_the_published_alphas_to_three_decimals() {
        let units = published_units();
        for (metric, published) in [
            (Metric::Nominal, 0.743),
            (Metric::Ordinal, 0.815),
            (Metric::Interval, 0.849),
            (Metric::Ratio, 0.797),
        ] {
            let got = alpha(&units, metric).unwrap();
            assert_eq!(format!("{got:.3}"), format!("{published:.3}"), "{metric:?}");
        }
    }

    #[test]
    fn perfect_agreement_is_one_and_no_variation_is_undefined() {
        let agree = vec![vec![1.0, 1.0], vec![3.0, 3.0, 3.0], vec![2.0, 2.0]];
        for metric in Metric::ALL {
            assert_eq!(alpha(&agree, metric), Some(1.0), "{metric:?}");
        }
        assert_eq!(alpha(&[vec![2.0, 2.0], vec![2.0]], Metric::Ordinal), None);
        assert_eq!(alpha(&[vec![2.0], vec![3.0]], Metric::Ordinal), None);
        assert_eq!(alpha(&[], Metric::Interval), None);
    }

    #[test]
    fn ratings_no_better_than_chance_are_flagged_low_with_an_interval() {
        // Two reviewers who disagree systematically on eight candidates.
        let units: Vec<Vec<f64>> = (0..8)
            .map(|i| vec![f64::from(1 + i % 4), f64::from(4 - i % 4)])
            .collect();
        let e = estimate(&units, Metric::Ordinal);
        assert!(e.alpha.unwrap() < 0.0, "{e:?}");
        assert!(e.low);
        assert_eq!((e.pairable, e.units), (16, 8));
        let (lo, hi) = e.interval.unwrap();
        assert!(lo <= hi && hi < TENTATIVE, "{e:?}");
    }

    #[test]
    fn the_bootstrap_interval_is_deterministic_and_brackets_alpha() {
        let units = published_units();
        let a = estimate(&units, Metric::Ordinal);
        let b = estimate(&units, Metric::Ordinal);
        assert_eq!(a, b);
        let (lo, hi) = a.interval.unwrap();
        assert!(lo < a.alpha.unwrap() && a.alpha.unwrap() < hi, "{a:?}");
        assert_eq!(a.pairable, 40);
        assert_eq!(a.units, 11);
        assert!(!a.low);
    }

    /// Compares with the `krippendorff` package (an independent implementation) when the
    /// machine's python3 has it; skipped, saying so, when it does not.
    #[test]
    fn alpha_matches_the_krippendorff_python_package_when_installed() {
        let probe = std::process::Command::new("python3")
            .args(["-c", "import krippendorff"])
            .output();
        if !probe.is_ok_and(|o| o.status.success()) {
            eprintln!(
                "SKIPPED: python3 with the `krippendorff` package is not available (pip install krippendorff to run this comparison)"
            );
            return;
        }
        // The published example, plus a larger matrix made here: 6 observers, 30 units.
        let mut made = vec![vec![0u8; 30]; 6];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (o, row) in made.iter_mut().enumerate() {
            for (u, cell) in row.iter_mut().enumerate() {
                let truth = 1 + (u % 4) as i32;
                let noise = rng.random_range(-1..=1) * i32::from(o % 2 == 0);
                let missing = rng.random_range(0..4) == 0;
                *cell = if missing {
                    0
                } else {
                    (truth + noise).clamp(1, 4) as u8
                };
            }
        }
        let published: Vec<Vec<u8>> = PUBLISHED.iter().map(|r| r.to_vec()).collect();
        for matrix in [published, made] {
            let rows: Vec<String> = matrix
                .iter()
                .map(|row| {
                    let cells: Vec<String> = row
                        .iter()
                        .map(|&v| if v == 0 { "nan".into() } else { v.to_string() })
                        .collect();
                    format!("[{}]", cells.join(","))
                })
                .collect();
            let script = format!(
                "import krippendorff\nnan = float('nan')\nd = [{}]\nfor m in ['nominal', 'ordinal', 'interval', 'ratio']:\n    print(repr(float(krippendorff.alpha(reliability_data=d, level_of_measurement=m))))\n",
                rows.join(",")
            );
            let out = std::process::Command::new("python3")
                .args(["-c", &script])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let theirs: Vec<f64> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| l.parse().unwrap())
                .collect();
            let units: Vec<Vec<f64>> = (0..matrix[0].len())
                .map(|u| {
                    matrix
                        .iter()
                        .map(|row| row[u])
                        .filter(|&v| v != 0)
                        .map(f64::from)
                        .collect()
                })
                .collect();
            for (metric, theirs) in Metric::ALL.into_iter().zip(theirs) {
                let ours = alpha(&units, metric).unwrap();
                assert!(
                    (ours - theirs).abs() < 1e-9,
                    "{metric:?}: {ours} vs {theirs}"
                );
            }
        }
    }
}
