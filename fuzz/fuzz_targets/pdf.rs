//! A PDF report, read in this process as the limited `pdf-worker` child reads it (text,
//! outline, metadata; no page images). In `takehome` a panic here is contained by the child
//! and shown as "PDF could not be read", so panics inside the PDF libraries are caught and
//! counted; hangs and runaway memory are still findings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = std::panic::catch_unwind(|| takehome::report::pdf::extract(bytes, None));
});
