//! A Markdown report: rendered for a packet, its sections checked, its claims read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use takehome::evaluate::claims_text::extract;
use takehome::report::pieces::markdown_pieces;
use takehome::score::Metric;

fuzz_target!(|text: &str| {
    let html = takehome::packet::markdown::render(text);
    assert!(!html.contains("<script"), "{html}");
    let _ = takehome::assignment::report_sections(text, &["Method".into(), "Results".into()]);
    let pieces = markdown_pieces("REPORT.md", text);
    for metric in [Metric::RocAuc, Metric::Accuracy, Metric::LogLoss] {
        let _ = extract(&pieces, metric);
    }
});
