//! A notebook: shown in a packet, its markdown cells read as the report.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let view = takehome::packet::notebook::view("analysis.ipynb", bytes, None, None);
    for cell in &view.cells {
        if let Some(html) = &cell.html {
            assert!(!html.contains("<script"), "{html}");
        }
    }
    let _ = takehome::report::notebook_cells(bytes);
    let _ = takehome::packet::notebook::markdown_of(bytes);
});
