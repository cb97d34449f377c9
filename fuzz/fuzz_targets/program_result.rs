//! JSON scoring: the last line a scoring program prints (a number or a result object).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    if let Ok((value, details)) = takehome::evaluate::scoring::parse_program_result(line) {
        assert!(value.is_finite());
        assert!(details.len() <= 20);
    }
});
