//! Candidate Markdown to inert HTML: pulldown-cmark renders, ammonia sanitises.
//!
//! Raw HTML in the report is passed to ammonia, which keeps only its whitelist: no
//! `<script>`, `<style>`, `<iframe>`, `<svg>`, event-handler attributes or `javascript:`
//! URLs survive. The packet's Content-Security-Policy is the second line of defence.

use pulldown_cmark::{Options, Parser, html};

/// The report as sanitised HTML, safe to embed without further escaping.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        // Remote images would leak that a reviewer opened the packet (and the CSP blocks them).
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn hostile_markdown_is_inert() {
        let out = render(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
             [click](javascript:alert(3))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n\
             <a href=\"#\" onclick=\"alert(4)\">x</a> <svg onload=alert(5)>\n\n<style>body{}</style>\n\n# Title",
        );
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "<iframe",
            "onclick",
            "onload",
            "<svg",
            "<style",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("<h1>Title</h1>"), "{out}");
    }
}
