//! Scoring: a truth CSV and a prediction CSV (split at the first 0xFF byte), under every
//! built-in metric.
#![no_main]

use libfuzzer_sys::fuzz_target;
use takehome::score::{Metric, score};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (truth, predictions) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b""[..]),
    };
    let (Ok(truth), Ok(predictions)) =
        (std::str::from_utf8(truth), std::str::from_utf8(predictions))
    else {
        return;
    };
    let metric = Metric::ALL[pick as usize % Metric::ALL.len()];
    let k = Some(u32::from(pick >> 4));
    let _ = score(metric, k, truth, predictions, "id", "target", "prediction");
    let _ = takehome::score::check_truth(metric, k, truth, "id", "target");
});
